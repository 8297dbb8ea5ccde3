import MeshModel

/// Each proxy's source status (how reading its admin API went), found by name once per table
/// instead of searching the snapshot's sources for every row.
struct ScrapeIndex {
    private let byName: [String: SourceStatus]

    init(_ snapshot: MeshSnapshot) {
        byName = Dictionary(snapshot.sources.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func status(of proxy: Proxy) -> SourceStatus? { byName[Self.sourceName(proxy)] }

    /// The name the poller gives a proxy's source.
    static func sourceName(_ proxy: Proxy) -> String { "proxy \(proxy.id)" }
}
