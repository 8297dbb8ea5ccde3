#if os(Linux)
/// glibc's `malloc_trim` (declared in `<malloc.h>`, which the Glibc module does not export).
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32
#endif

/// Gives freed heap pages back to the system about once a minute of polling. Each poll builds
/// and drops megabytes of short-lived strings, dictionaries and bodies; glibc keeps pages freed
/// in the middle of its arenas, so a console left running for hours would creep upward in
/// resident memory while its live data stays flat (the soak benchmark measures this).
/// `malloc_trim(0)` returns those pages; it walks the heap, a few milliseconds per call.
public struct HeapTrimmer: Sendable {
    /// Polls between trims.
    public let every: Int
    private var count = 0

    /// - Parameter interval: seconds between polls; the trim then runs about once a minute.
    public init(pollInterval interval: Double) {
        every = max(1, Int((60 / max(interval, 0.01)).rounded()))
    }

    /// Counts a poll; trims when a minute's worth of polls went by. Returns whether it trimmed.
    @discardableResult
    public mutating func polled() -> Bool {
        count += 1
        guard count >= every else { return false }
        count = 0
        #if os(Linux)
        _ = mallocTrim(0)
        #endif
        return true
    }
}
