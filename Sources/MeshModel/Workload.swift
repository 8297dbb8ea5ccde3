/// A workload: the pods of one version of a service (a Deployment, in Kubernetes terms).
public struct Workload: Sendable, Codable, Hashable, Identifiable {
    public var id: String { "\(namespace)/\(name)" }
    /// Workload name as Istio reports it, e.g. `reviews-v2`.
    public var name: String
    public var namespace: String
    /// The `app` label (canonical service).
    public var app: String
    /// The `version` label (canonical revision).
    public var version: String
    public var serviceAccount: String
    /// Ids of the proxies (pods) that run this workload.
    public var proxyIDs: [String]
    /// Sidecar, ambient, ambient+waypoint or none (nil: not known).
    public var dataplaneMode: DataplaneMode?

    public init(
        name: String, namespace: String, app: String, version: String,
        serviceAccount: String, proxyIDs: [String] = []
    ) {
        self.name = name
        self.namespace = namespace
        self.app = app
        self.version = version
        self.serviceAccount = serviceAccount
        self.proxyIDs = proxyIDs
    }

    /// The SPIFFE identity Istio gives this workload's certificates.
    public func spiffeID(trustDomain: String = "cluster.local") -> String {
        "spiffe://\(trustDomain)/ns/\(namespace)/sa/\(serviceAccount)"
    }
}
