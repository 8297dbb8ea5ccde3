import Foundation
import MeshModel

/// Everything needed to answer one admin request of one proxy, copied out of the simulator
/// state under its lock so the (possibly large) rendering runs without holding it.
struct ProxyContext {
    let now: Date
    let proxy: SimProxy
    let runtime: ProxyRuntime
    let topology: SimTopology
    /// The routing revision this proxy applied.
    let routing: RoutingConfig
    let ca: CertificateAuthority
    let traffic: ProxyTraffic
    let serving: [Bool]
    let istioVersion: String
    let envoyVersion: String
    let linkerdVersion: String
    let mosnVersion: String
    let adminPort: Int
    /// `version_info` of the proxy's applied config: `<push time>/<push counter>`.
    let versionInfo: String
    let lastUpdated: Date
    /// Subtrees shared with other proxies' responses.
    let cache: RenderCache
    /// Computed once per request: outbound clusters, all cluster names, member counts, listeners.
    private(set) var outboundClusters: [(name: String, service: SimService, subset: String?)] = []
    private(set) var clusterNames: [String] = []
    private(set) var members: [String: Int] = [:]
    private(set) var healthyMembers: [String: Int] = [:]
    private(set) var listenerNames: [(name: String, address: String, port: Int)] = []

    /// `intended`: render what istiod would send (newest routing), not what the proxy applied.
    /// `derive: false` leaves the derived tables (clusters, members, listeners) for `derive()`,
    /// so the simulator can build them after releasing its lock.
    init(state: SimulatorState, proxy index: Int, now: Date, intended: Bool = false, cache: RenderCache = RenderCache(),
         derive: Bool = true) {
        self.cache = cache
        self.now = now
        proxy = state.topology.proxies[index]
        runtime = state.proxies[index]
        topology = state.topology
        routing = intended ? state.currentRouting : state.routing(forProxy: index)
        ca = state.ca
        traffic = ProxyTraffic(state: state, proxy: index)
        serving = state.serving
        istioVersion = state.options.istioVersion
        envoyVersion = state.options.envoyVersion
        linkerdVersion = state.options.linkerdVersion
        mosnVersion = state.options.mosnVersion
        adminPort = state.options.adminPort
        let cds = state.proxies[index].xds[XDSType.cds.rawValue]
        lastUpdated = cds?.sentTime ?? state.startedAt
        versionInfo = "\(Timestamp.rfc3339(lastUpdated))/\(state.pushCount)"
        if derive { self.derive() }
    }

    /// Computes the tables every renderer uses, once per request.
    mutating func derive() {
        outboundClusters = computeOutboundClusters()
        clusterNames = computeClusterNames()
        (members, healthyMembers) = computeMembers()
        listenerNames = computeListenerNames()
    }

    var service: SimService { topology.services[proxy.service] }
    var workload: SimWorkload { topology.workloads[proxy.workload] }

    /// The mesh whose naming this proxy's Envoy follows (EnvoyFlavour.swift).
    var mesh: SimMesh { service.mesh }
    /// `http_conn_manager_prefix` of the inbound listener.
    var inboundStatPrefix: String { mesh.inboundStatPrefix(port: service.port) }
    /// The cluster in front of the workload (nil for a gateway's Envoy).
    var inboundCluster: String? { service.isGateway ? nil : mesh.inboundCluster(port: service.port) }

    /// The services whose outbound clusters this proxy has (Sidecar scope).
    var visibleServices: [SimService] { topology.visibleServices(from: proxy.namespace) }

    /// Outbound clusters: one without subset per service, plus one per DestinationRule subset.
    func computeOutboundClusters() -> [(name: String, service: SimService, subset: String?)] {
        var clusters: [(String, SimService, String?)] = []
        for service in visibleServices {
            clusters.append((service.defaultCluster, service, nil))
            for subset in routing.destinationRule(for: service.index)?.subsets ?? [] {
                clusters.append((service.subsetCluster(subset), service, subset))
            }
        }
        return clusters
    }

    /// Every cluster name this proxy reports stats for, in a stable order.
    func computeClusterNames() -> [String] {
        outboundClusters.map(\.name) + (inboundCluster.map { [$0] } ?? []) + mesh.supportClusters
    }

    /// The pods behind a cluster (all versions, or the subset's version).
    func endpoints(of service: SimService, subset: String?) -> [SimProxy] {
        service.workloads.map { topology.workloads[$0] }
            .filter { subset == nil || $0.version == subset }
            .flatMap { $0.proxies.map { topology.proxies[$0] } }
    }

    func computeMembers() -> ([String: Int], [String: Int]) {
        var all: [String: Int] = [:]
        var healthy: [String: Int] = [:]
        for cluster in outboundClusters {
            let pods = endpoints(of: cluster.service, subset: cluster.subset)
            all[cluster.name] = pods.count
            healthy[cluster.name] = pods.filter { serving[$0.index] }.count
        }
        return (all, healthy)
    }

    /// Days until the first certificate (leaf, intermediate or root) expires, clamped at 0.
    var daysUntilFirstCertExpiring: Int {
        let expiries = [runtime.leaf?.notAfter, ca.intermediate.notAfter, ca.root.notAfter].compactMap { $0 }
        let first = expiries.min() ?? now
        return max(0, Int(first.timeIntervalSince(now) / 86400))
    }

    var uptimeSeconds: Int { max(0, Int(now.timeIntervalSince(runtime.startedAt))) }

    /// Server-level gauges and counters: (Prometheus name, type, value).
    var serverStats: [(String, String, Int)] {
        let rejected = runtime.rejection != nil ? 1 : 0
        return [
            ("envoy_cluster_manager_active_clusters", "gauge", clusterNames.count),
            ("envoy_cluster_manager_cds_update_attempt", "counter", 3 + runtime.resetCount),
            ("envoy_cluster_manager_cds_update_rejected", "counter", rejected),
            ("envoy_cluster_manager_cds_update_success", "counter", 2),
            ("envoy_cluster_manager_warming_clusters", "gauge", 0),
            ("envoy_control_plane_connected_state", "gauge", 1),
            ("envoy_listener_manager_total_listeners_active", "gauge", listenerNames.count),
            ("envoy_server_concurrency", "gauge", 2),
            ("envoy_server_days_until_first_cert_expiring", "gauge", daysUntilFirstCertExpiring),
            ("envoy_server_live", "gauge", 1),
            ("envoy_server_memory_allocated", "gauge", 9_000_000 + clusterNames.count * 24_000),
            ("envoy_server_state", "gauge", runtime.healthCheckFailed ? 1 : 0),
            ("envoy_server_uptime", "gauge", uptimeSeconds),
        ]
    }

    /// Listener names as Istio names them on a sidecar (or a gateway).
    func computeListenerNames() -> [(name: String, address: String, port: Int)] {
        if service.isGateway { return [("0.0.0.0_8080", "0.0.0.0", 8080)] }
        var listeners: [(String, String, Int)] = [("virtualOutbound", "0.0.0.0", 15001), ("virtualInbound", "0.0.0.0", 15006)]
        for port in Set(visibleServices.filter { !$0.isGateway }.map(\.port)).sorted() {
            listeners.append(("0.0.0.0_\(port)", "0.0.0.0", port))
        }
        return listeners
    }
}
