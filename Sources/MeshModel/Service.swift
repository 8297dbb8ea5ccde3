/// A mesh service: a Kubernetes Service (or ServiceEntry host) known to the control plane.
public struct Service: Sendable, Codable, Hashable, Identifiable {
    public var id: String { "\(namespace)/\(name)" }
    public var name: String
    public var namespace: String
    /// Fully qualified host name, e.g. `reviews.default.svc.cluster.local`.
    public var hostname: String
    public var ports: [ServicePort]
    /// Version labels of the workloads behind the service (`v1`, `v2`, …).
    public var versions: [String]
    /// True for ServiceEntry hosts outside the mesh.
    public var meshExternal: Bool
    public var traffic: TrafficMetrics
    public var health: HealthVerdict
    /// Mesh and source of the traffic numbers (nil in data stored before meshes could mix).
    public var origin: MeshKind?
    /// Sidecar, ambient, ambient+waypoint or none (nil: not known, as in data stored before).
    public var dataplaneMode: DataplaneMode?

    public init(
        name: String, namespace: String, hostname: String, ports: [ServicePort] = [],
        versions: [String] = [], meshExternal: Bool = false,
        traffic: TrafficMetrics = TrafficMetrics(),
        health: HealthVerdict = HealthVerdict(.unknown, reason: "no data yet"), origin: MeshKind? = nil
    ) {
        self.origin = origin
        self.name = name
        self.namespace = namespace
        self.hostname = hostname
        self.ports = ports
        self.versions = versions
        self.meshExternal = meshExternal
        self.traffic = traffic
        self.health = health
    }
}

/// One port of a service with its declared protocol (`HTTP`, `GRPC`, `TCP`, …).
public struct ServicePort: Sendable, Codable, Hashable {
    public var name: String
    public var port: Int
    public var `protocol`: String

    public init(name: String, port: Int, protocol: String) {
        self.name = name
        self.port = port
        self.protocol = `protocol`
    }
}
