import Synchronization

/// A JSON subtree that many responses share (an outbound cluster is the same in every sidecar
/// that sees it), with its bytes memoised per layout so a large `/config_dump` is mostly copies.
public final class CachedJSON: Sendable {
    public let value: JSONValue
    private let rendered = Mutex<[Int: [UInt8]]>([:])

    public init(_ value: JSONValue) { self.value = value }

    /// Bytes of the subtree written at `depth` (pretty) or compact.
    func bytes(pretty: Bool, depth: Int) -> [UInt8] {
        let key = pretty ? depth : -1
        if let hit = rendered.withLock({ $0[key] }) { return hit }
        let bytes = JSONWriter.fragment(value, pretty: pretty, depth: depth)
        rendered.withLock { $0[key] = bytes }
        return bytes
    }
}

/// Shared subtrees by key, for one simulator. Keys name everything the subtree depends on
/// (cluster name and DestinationRule version, route port + namespace + routing revision, …), so
/// an entry never goes stale; the cache is emptied when it grows past `limit` entries.
public final class RenderCache: Sendable {
    private let entries = Mutex<[String: CachedJSON]>([:])
    private let limit: Int

    public init(limit: Int = 50_000) { self.limit = limit }

    func value(_ key: String, build: () -> JSONValue) -> JSONValue {
        if let hit = entries.withLock({ $0[key] }) { return .cached(hit) }
        let shared = CachedJSON(build())
        entries.withLock { entries in
            if entries.count >= limit { entries.removeAll() }
            entries[key] = shared
        }
        return .cached(shared)
    }

    var count: Int { entries.withLock { $0.count } }
}
