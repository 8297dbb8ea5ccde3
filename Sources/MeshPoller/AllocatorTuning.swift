import Foundation

/// glibc malloc settings for a long-running poller, applied once at startup by `meshtop` and
/// `meshtop-bench` (unless the user set `MALLOC_ARENA_MAX` or `MALLOC_MMAP_THRESHOLD_`).
///
/// Every poll reads a body of 10 KB–1 MB per proxy, parses it and drops it, on whichever of
/// the event-loop and concurrency threads runs the request. With glibc's defaults (an arena per
/// thread, up to 8 per core, and an mmap threshold that rises to the largest block freed) those
/// bodies come from the arenas and leave them fragmented: an hour's soak grew 70 → 86–92 MB
/// of RSS while the live heap grew ~6 MB (heaptrack). Two arenas and a fixed 128 KB threshold
/// (large bodies are mapped and unmapped, so their pages go back to the system at once) kept
/// RSS at 57–61 MB over the same hour (`meshtop-bench soak`).
public enum AllocatorTuning {
    @_silgen_name("mallopt") private static func mallopt(_ parameter: Int32, _ value: Int32) -> Int32

    private static let arenaMax: Int32 = -8 // M_ARENA_MAX in <malloc.h>
    private static let mmapThreshold: Int32 = -3 // M_MMAP_THRESHOLD

    public static func apply() {
        #if os(Linux)
        let environment = ProcessInfo.processInfo.environment
        if environment["MALLOC_ARENA_MAX"] == nil { _ = mallopt(arenaMax, 2) }
        if environment["MALLOC_MMAP_THRESHOLD_"] == nil { _ = mallopt(mmapThreshold, 128 << 10) }
        #endif
    }
}
