import Foundation

/// How a workload's (or a service's) traffic enters the mesh (Istio ambient, mesh-apis.md §10).
public enum DataplaneMode: String, Sendable, Codable, CaseIterable {
    /// An Envoy sidecar in every pod.
    case sidecar
    /// No proxy in the pod: its node's ztunnel carries it over HBONE (L4 only).
    case ambient
    /// Ambient, with a waypoint (an Envoy) serving its L7 traffic.
    case ambientWaypoint = "ambient+waypoint"
    /// Not in the mesh.
    case none
}

/// The certificate a ztunnel holds for one identity of its node's pods.
public struct ZtunnelIdentity: Sendable, Codable, Hashable {
    /// The SPIFFE identity (`spiffe://cluster.local/ns/NS/sa/SA`).
    public var identity: String
    /// `Available`, `Initializing`, `Unavailable`.
    public var state: String
    /// Why it is not available, as ztunnel says.
    public var reason: String?
    /// The leaf's expiry (nil while there is none).
    public var notAfter: Date?

    public init(identity: String, state: String, reason: String? = nil, notAfter: Date? = nil) {
        self.identity = identity
        self.state = state
        self.reason = reason
        self.notAfter = notAfter
    }
}

/// An ambient node's ztunnel, as its config dump and metrics show it.
public struct Ztunnel: Sendable, Codable, Hashable, Identifiable {
    /// `<pod>.istio-system`, as istiod's syncz names it.
    public var id: String
    public var node: String
    public var version: String?
    /// Ambient (HBONE) pods on its node.
    public var workloads: Int
    public var identities: [ZtunnelIdentity]
    /// Whether this poll read it; when not, what is shown is from its last good poll.
    public var answered: Bool
    /// Its workload discovery (WDS) as istiod's syncz reports it (nil: istiod does not list it).
    public var workloadSync: SyncState?
    public var health: HealthVerdict

    public init(id: String, node: String, version: String?, workloads: Int, identities: [ZtunnelIdentity], answered: Bool,
                health: HealthVerdict = HealthVerdict(.unknown, reason: "not evaluated")) {
        self.id = id
        self.node = node
        self.version = version
        self.workloads = workloads
        self.identities = identities
        self.answered = answered
        self.health = health
    }

    /// The identity certificate that expires first.
    public var soonestExpiry: Date? { identities.compactMap(\.notAfter).min() }
}
