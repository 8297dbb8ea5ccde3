import Foundation

/// The health of one polled source (istiod replica, proxy admin API, Prometheus, a directory).
public struct SourceStatus: Sendable, Codable, Hashable {
    public var name: String
    public var url: String
    public var ok: Bool
    public var error: String?
    public var latencyMs: Double?
    /// When the source last answered successfully.
    public var lastSuccess: Date?

    public init(name: String, url: String, ok: Bool, error: String? = nil, latencyMs: Double? = nil, lastSuccess: Date? = nil) {
        self.name = name
        self.url = url
        self.ok = ok
        self.error = error
        self.latencyMs = latencyMs
        self.lastSuccess = lastSuccess
    }
}

/// Everything meshtop knows about the mesh at one instant. Pure data: produced by the poller,
/// stored by the store, rendered by the views, exported by `snapshot`.
public struct MeshSnapshot: Sendable, Codable, Hashable {
    /// Version of the export schema (product.md §8); bump only with a new schema file.
    public static let schemaVersion = 1

    public var generatedAt: Date
    public var sources: [SourceStatus]
    public var services: [Service]
    public var workloads: [Workload]
    public var proxies: [Proxy]
    public var edges: [Edge]
    public var routes: [RouteRule]
    public var destinationPolicies: [DestinationPolicy]
    public var certificates: [Certificate]
    public var findings: [Finding]
    /// Configuration objects as canonical text (Istio resources, proxies' route and cluster
    /// sets), for config revisions and diffs in the history store.
    public var configs: [ConfigDocument]
    /// Events derived at this poll (or, from the store, up to this instant).
    public var events: [MeshEvent]
    /// Per Kubernetes cluster polled through its API: the access tier and what is missing
    /// (nil when no cluster is, and in snapshots stored before clusters were).
    public var access: [ClusterAccess]?
    /// The ambient nodes' ztunnels (nil where the mesh has no ambient part, and in snapshots
    /// stored before ambient was read).
    public var ztunnels: [Ztunnel]?

    public init(
        generatedAt: Date, sources: [SourceStatus] = [], services: [Service] = [],
        workloads: [Workload] = [], proxies: [Proxy] = [], edges: [Edge] = [],
        routes: [RouteRule] = [], destinationPolicies: [DestinationPolicy] = [],
        certificates: [Certificate] = [], findings: [Finding] = [], configs: [ConfigDocument] = [],
        events: [MeshEvent] = []
    ) {
        self.generatedAt = generatedAt
        self.sources = sources
        self.services = services
        self.workloads = workloads
        self.proxies = proxies
        self.edges = edges
        self.routes = routes
        self.destinationPolicies = destinationPolicies
        self.certificates = certificates
        self.findings = findings
        self.configs = configs
        self.events = events
    }

    /// Counts of proxies by their worst xDS status, for the Overview. A proxy no istiod
    /// reported on (no sync states: istiod not reachable) is in none of them.
    public var syncCounts: [SyncStatus: Int] {
        var counts: [SyncStatus: Int] = [:]
        for proxy in proxies {
            guard let worst = proxy.sync.values.map(\.status).max(by: { $0.severityRank < $1.severityRank }) else { continue }
            counts[worst, default: 0] += 1
        }
        return counts
    }

    /// The certificate that expires first, if any.
    public var soonestExpiring: Certificate? {
        certificates.min { $0.notAfter < $1.notAfter }
    }
}

extension SyncStatus {
    /// Ordering used to pick a proxy's worst state: ERROR > STALE > SYNCED > NOT SENT > IGNORED.
    /// NOT SENT is below SYNCED: a type istiod never sends (ECDS without Wasm) is normal, so a
    /// proxy with everything else synced counts as SYNCED.
    public var severityRank: Int {
        switch self {
        case .ignored: 0
        case .notSent: 1
        case .synced: 2
        case .stale, .staleNeverAcknowledged: 3
        case .error: 4
        }
    }
}
