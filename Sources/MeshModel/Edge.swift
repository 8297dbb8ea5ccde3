/// A directed call relation between two services (or a workload and a service), with the
/// traffic observed on it.
public struct Edge: Sendable, Codable, Hashable, Identifiable {
    public var id: String { "\(source)->\(destination)" }
    /// `namespace/name` of the calling service (or `unknown` for traffic from outside the mesh).
    public var source: String
    /// `namespace/name` of the called service.
    public var destination: String
    /// `http`, `grpc` or `tcp`.
    public var `protocol`: String
    /// True when the destination reported the traffic as `mutual_tls`.
    public var mtls: Bool
    public var traffic: TrafficMetrics
    /// Observed share of this edge's requests per destination version (0...1), to be shown
    /// next to the configured route weights.
    public var versionShare: [String: Double]
    public var health: HealthVerdict
    /// Mesh and source of the reporting (calling) side.
    public var origin: MeshKind?

    public init(
        source: String, destination: String, protocol: String = "http", mtls: Bool = false,
        traffic: TrafficMetrics = TrafficMetrics(), versionShare: [String: Double] = [:],
        health: HealthVerdict = HealthVerdict(.unknown, reason: "no data yet"), origin: MeshKind? = nil
    ) {
        self.origin = origin
        self.source = source
        self.destination = destination
        self.protocol = `protocol`
        self.mtls = mtls
        self.traffic = traffic
        self.versionShare = versionShare
        self.health = health
    }
}
