import Synchronization

/// A feed source that can be replaced while the feed runs (`:ctx NAME`): reads go to the
/// current source; the replaced one is shut down. The new source's first read is a baseline
/// again (its rates need two of its own polls).
public final class SwitchableFeedSource: FeedSource {
    private let current: Mutex<(source: any FeedSource, fresh: Bool)>

    public init(_ source: any FeedSource) { current = Mutex((source, false)) }

    public var firstIsBaseline: Bool { current.withLock { $0.source.firstIsBaseline } }

    public func replace(with source: any FeedSource) async {
        let old = current.withLock { value in
            defer { value = (source, true) }
            return value.source
        }
        await old.shutdown()
    }

    /// True once after a replacement, for the feed to take a new baseline.
    public func takeFreshness() -> Bool {
        current.withLock { value in
            defer { value.fresh = false }
            return value.fresh
        }
    }

    public func read() async -> FeedRead {
        let source = current.withLock { $0.source }
        return await source.read()
    }

    public func shutdown() async { await current.withLock { $0.source }.shutdown() }
}
