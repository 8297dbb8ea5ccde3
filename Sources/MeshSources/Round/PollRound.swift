import Foundation
import MeshModel

/// What one poll of one proxy returned, parsed.
public struct ProxyObservation: Sendable {
    public var target: ScrapeTarget
    /// When its counters were asked for (the time their increase is divided by).
    public var at: Date
    /// Request counters from the proxy's metrics (Envoy's Istio stats, Linkerd's, MOSN's), kept
    /// instead of the whole parsed exposition: derivation needs nothing else from it.
    public var counters: RequestCounters?
    public var certificates: [CertificateDetail] = []
    /// PEMs from the proxy's SDS secrets (`default` chain and `ROOTCA`), for kinds and the intermediate.
    public var secrets: [ConfigDump.Secret] = []
    public var serverInfo: ServerInfo?
    /// Per-host health and counters (`/clusters?format=json`), when captured.
    public var hosts: [ClusterHostStatus] = []
    /// The proxy's route and cluster sets as documents (read when they change, else cached).
    public var configs: [ConfigDocument] = []
    /// Its route configurations (RDS and static) and its clusters with their endpoints, read
    /// with the documents.
    public var routeTables: [ConfigDump.RouteConfig] = []
    public var clusterStatuses: [ClusterStatus] = []
    public var errors: [SourceError] = []
    /// Time the proxy took to answer this poll's requests, summed (ms).
    public var latencyMs: Double = 0
    /// What the proxy showed itself to be, when not what its target says: an Envoy without
    /// Istio (plain, Kuma, Consul, Envoy Gateway), its traffic from Envoy's own statistics.
    public var detectedKind: MeshKind?
    /// The target answers `/stats/prometheus` only (Istio's :15090 listener): no certificates,
    /// config or server info can be read through it.
    public var servesOnlyStats = false
    /// The proxy did not answer this poll: what is here is from its last good poll (or nothing),
    /// and its present state is unknown.
    public var unanswered = false
    /// A ztunnel's config dump (workloads, identities), when the target is one.
    public var ztunnel: ZtunnelConfigDump?
    /// A ztunnel's L4 counters (`istio_tcp_*`, destination reporter).
    public var tcp: TCPCounters?

    public init(target: ScrapeTarget, at: Date) {
        self.target = target
        self.at = at
    }

    /// The mesh and API of the proxy: as detected, else as its target says.
    public var kind: MeshKind { detectedKind ?? target.kind }
}

/// Everything one poll collected from istiod replicas and proxies, before derivation.
public struct PollRound: Sendable {
    public var at: Date
    public var syncz: [SynczEntry] = []
    public var registry: [RegistryService] = []
    public var configs: [ConfigObject] = []
    public var endpoints: [EndpointEntry] = []
    public var istiodVersions: [String: IstiodVersion] = [:]
    public var proxies: [String: ProxyObservation] = [:]
    /// Istio traffic from Prometheus, when it is a source (replaces Envoy proxies' counters).
    public var prometheus: PrometheusRound?
    public var sources: [SourceStatus] = []
    /// The access of each Kubernetes cluster this round went through.
    public var access: [ClusterAccess] = []

    public init(at: Date) { self.at = at }

    /// Merges several istiod replicas' syncz: each proxy is connected to one replica; if two
    /// report it (a reconnect in flight), the row with the newest CDS push wins.
    public mutating func mergeSyncz(_ rows: [SynczEntry], replica: String) {
        for var row in rows {
            row.istiod = replica
            if let index = syncz.firstIndex(where: { $0.proxyID == row.proxyID }) {
                let existing = syncz[index].types[.cds]?.sentTime ?? .distantPast
                if (row.types[.cds]?.sentTime ?? .distantPast) > existing { syncz[index] = row }
            } else {
                syncz.append(row)
            }
        }
    }
}
