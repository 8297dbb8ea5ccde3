import Foundation

/// The kind of data-plane proxy, as istiod's `proxy_type` reports it.
public enum ProxyType: String, Sendable, Codable, CaseIterable {
    case sidecar
    /// A gateway (`router` in Envoy node ids).
    case router
    case ztunnel
    case waypoint
}

/// One data-plane proxy (an Envoy sidecar or gateway, a Linkerd proxy, a MOSN instance).
public struct Proxy: Sendable, Codable, Hashable, Identifiable {
    /// Node id short form `<pod>.<namespace>`, as istiod and istioctl print it.
    public var id: String
    public var namespace: String
    public var podName: String
    /// Istio cluster id (`Kubernetes` by default).
    public var clusterID: String
    public var type: ProxyType
    public var workload: String?
    /// Where its admin API answers, e.g. `http://127.0.1.2:15000`.
    public var adminURL: String?
    public var istioVersion: String?
    /// Envoy build version, e.g. `1.31.0`.
    public var proxyVersion: String?
    /// Which istiod replica the proxy is connected to.
    public var istiod: String?
    /// Per xDS type, the sync state as istioctl proxy-status derives it.
    public var sync: [XDSType: SyncState]
    /// Server state as `/server_info` reports it (`LIVE`, `DRAINING`, …).
    public var serverState: String?
    public var uptimeSeconds: Double?
    public var health: HealthVerdict
    /// Which mesh the proxy belongs to and which API was read (Envoy admin, Linkerd, MOSN).
    public var origin: MeshKind?
    /// What cannot be read of it, in words (a port that serves only `/stats/prometheus`).
    public var note: String?
    /// Its clusters and their endpoints' health, as `/clusters` last said (nil: not read).
    public var clusters: [ProxyCluster]?

    public init(
        id: String, namespace: String, podName: String, clusterID: String = "Kubernetes",
        type: ProxyType = .sidecar, workload: String? = nil, adminURL: String? = nil,
        istioVersion: String? = nil, proxyVersion: String? = nil, istiod: String? = nil,
        sync: [XDSType: SyncState] = [:], serverState: String? = nil,
        uptimeSeconds: Double? = nil,
        health: HealthVerdict = HealthVerdict(.unknown, reason: "no data yet"), origin: MeshKind? = nil
    ) {
        self.origin = origin
        self.id = id
        self.namespace = namespace
        self.podName = podName
        self.clusterID = clusterID
        self.type = type
        self.workload = workload
        self.adminURL = adminURL
        self.istioVersion = istioVersion
        self.proxyVersion = proxyVersion
        self.istiod = istiod
        self.sync = sync
        self.serverState = serverState
        self.uptimeSeconds = uptimeSeconds
        self.health = health
    }
}

/// One of a proxy's clusters: how many endpoints it has and how many are healthy.
public struct ProxyCluster: Sendable, Codable, Hashable {
    public var name: String
    public var endpoints: Int
    public var healthy: Int

    public init(name: String, endpoints: Int, healthy: Int) {
        self.name = name
        self.endpoints = endpoints
        self.healthy = healthy
    }
}
