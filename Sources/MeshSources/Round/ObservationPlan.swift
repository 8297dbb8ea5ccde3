import Foundation
import MeshModel

/// What the poller wants from one proxy this poll; its schedule for the target decides.
public struct ObservationPlan: Sendable {
    /// Read the proxy's request counters (an Envoy's are not read when Prometheus carries
    /// Istio traffic).
    public var readTraffic = true
    /// `?filter=` for an Envoy's `/stats/prometheus` (see `PollerOptions.statsFilter`).
    public var statsFilter: String?
    /// Certificates, secrets and server info read earlier and still fresh; nil reads them now.
    public var cachedDetails: ProxyDetails?
    /// Re-read the route and cluster sets; else `cachedConfigs` are the proxy's configs.
    public var readConfigs = false
    public var cachedConfigs = ProxyConfigs()

    public init() {}
}

/// A proxy's route and cluster configuration as last read: documents for the history store's
/// revisions, its route tables (the Routes view of a mesh without istiod) and its clusters with
/// their endpoints' health (the proxy's detail).
public struct ProxyConfigs: Sendable {
    public var documents: [ConfigDocument] = []
    public var routeTables: [ConfigDump.RouteConfig] = []
    public var clusters: [ClusterStatus] = []

    public init(documents: [ConfigDocument] = [], routeTables: [ConfigDump.RouteConfig] = [], clusters: [ClusterStatus] = []) {
        self.documents = documents
        self.routeTables = routeTables
        self.clusters = clusters
    }
}

/// The slowly changing part of a proxy's answers (certificates change on rotation, versions on
/// restart), kept between reads.
public struct ProxyDetails: Sendable {
    public var readAt: Date
    public var secrets: [ConfigDump.Secret]
    public var certificates: [CertificateDetail]
    public var serverInfo: ServerInfo
    /// The target answered only `/stats/prometheus`: asked again when the details are next due.
    public var servesOnlyStats = false
    /// A ztunnel's config dump: its workloads and identities change when pods or certificates
    /// do, and a large mesh's dump is megabytes, so it is read on the details' cadence.
    public var ztunnel: ZtunnelConfigDump?
}

/// One proxy read: the observation, and what was read afresh for the poller to keep — also
/// when a later request of the same read failed (what was read is still good).
public struct ProxyReading: Sendable {
    public var observation: ProxyObservation
    public var freshDetails: ProxyDetails?
    /// The route and cluster sets were read this time (they are `observation.configs`).
    public var freshConfigs = false

    public init(_ observation: ProxyObservation, freshDetails: ProxyDetails? = nil) {
        self.observation = observation
        self.freshDetails = freshDetails
    }
}

/// A proxy's admin API: which paths it is asked, with which query strings, and how each answer
/// is decoded into an observation; and the requests of the operator actions it takes.
public protocol ProxyAdminClient: Sendable {
    /// Whether the proxy serves its route and cluster sets (config history).
    var servesConfigs: Bool { get }
    /// Reads one proxy. Never throws: failures are the observation's errors, naming the source.
    func observe(_ target: ScrapeTarget, plan: ObservationPlan) async -> ProxyReading
}
