/// How each Envoy-based mesh names what its Envoys expose (mesh-apis.md §11): cluster names,
/// the inbound side, the control plane's own clusters, and whether Istio's bootstrap shapes the
/// statistics. Istio's names are what the simulator always served; Kuma, Consul and Envoy
/// Gateway (`meshtop sim --mesh kuma|consul|envoy-gateway`) have no istiod and no Istio stats
/// filter, so meshtop has to read their traffic from Envoy's own statistics.
extension SimMesh {
    /// Istio's bootstrap: `istio_requests_total` from the stats filter, cluster statistics
    /// tagged `cluster_name` through `alt_stat_name` (the name and `;`). The other meshes keep
    /// Envoy's default tag rules (`envoy_cluster_name`, cut at the first dot).
    var hasIstioStats: Bool { self == .istio }

    /// What Envoy shows as a cluster's `observability_name` and uses in its stat names: Istio
    /// sets `alt_stat_name` to the name and `;` (Istio ≥ 1.23); the others leave the name.
    func statName(_ cluster: String) -> String { hasIstioStats ? cluster + ";" : cluster }

    /// The outbound cluster of `service` (a subset: one version of it).
    /// - Istio: `outbound|9080|v1|reviews.default.svc.cluster.local`.
    /// - Kuma: the `kuma.io/service` value `reviews_default_svc_9080`, a split's subset with
    ///   `-<16 hex>` after it (as in fixtures/kuma: `backend_kuma-demo_svc_3001-0382aaf295add2eb`).
    /// - Consul: `[subset.]reviews.default.dc1.internal.<trust domain>.consul`.
    /// - Envoy Gateway: one cluster per route rule, `httproute/default/reviews/rule/N` (rule 0
    ///   for the service, one rule per weighted version after it).
    func outboundCluster(_ service: SimService, subset: String?) -> String {
        switch self {
        case .kuma:
            let base = "\(service.name)_\(service.namespace)_svc_\(service.port)"
            return subset.map { base + "-" + Self.hex16("\(service.hostname)|\($0)") } ?? base
        case .consul:
            let base = "\(service.name).\(service.namespace).dc1.internal.\(Self.consulTrustDomain).consul"
            return subset.map { "\($0).\(base)" } ?? base
        case .envoyGateway:
            return "httproute/\(service.namespace)/\(service.name)/rule/\(subset.map { Self.ruleNumber($0) } ?? 0)"
        case .istio, .linkerd, .mosn:
            return "outbound|\(service.port)|\(subset ?? "")|\(service.hostname)"
        }
    }

    /// The cluster in front of the local workload (nil: a gateway's proxy has none).
    func inboundCluster(port: Int) -> String? {
        switch self {
        case .kuma: "localhost_\(port)"
        case .consul: "local_app"
        case .envoyGateway: nil
        case .istio, .linkerd, .mosn: "inbound|\(port)||"
        }
    }

    /// The inbound HTTP connection manager's `stat_prefix`. Envoy Gateway's listener faces
    /// clients outside any mesh (`http-10080`), not a workload.
    func inboundStatPrefix(port: Int) -> String {
        switch self {
        case .kuma: "localhost_\(port)"
        case .consul: "public_listener"
        case .envoyGateway: "http-10080"
        case .istio, .linkerd, .mosn: "inbound_0.0.0.0_\(port)"
        }
    }

    /// Clusters every proxy of the mesh has besides the services': the control plane's,
    /// passthroughs, the stats endpoint.
    var supportClusters: [String] {
        switch self {
        case .kuma: ["access_log_sink", "ads_cluster", "inbound_passthrough_ipv4", "kuma_envoy_admin", "outbound_passthrough_ipv4"]
        case .consul: ["local_agent", "self_admin"]
        case .envoyGateway: ["prometheus_stats", "xds_cluster"]
        case .istio, .linkerd, .mosn: ["BlackHoleCluster", "InboundPassthroughCluster", "PassthroughCluster", "prometheus_stats", "sds-grpc", "xds-grpc"]
        }
    }

    /// Envoy's node id: Istio's `sidecar~IP~pod.ns~ns.svc.cluster.local`, Kuma's
    /// `<mesh>.<dataplane>.<ns>`, Consul's proxy service id, Envoy Gateway's pod.
    func nodeID(_ proxy: SimProxy, service: SimService) -> String {
        switch self {
        case .kuma: "default.\(proxy.podName).\(proxy.namespace)"
        case .consul: "\(proxy.podName)-sidecar-proxy"
        case .envoyGateway: proxy.podName
        case .istio, .linkerd, .mosn: proxy.nodeID
        }
    }

    /// Consul's trust domain is the cluster's UUID with `.consul` after it.
    static let consulTrustDomain = "11111111-2222-3333-4444-555555555555"

    /// The route rule a weighted version gets in Envoy Gateway naming: `v1` → 1, `v2` → 2, a
    /// subset without a number → 1.
    static func ruleNumber(_ subset: String) -> Int {
        Int(subset.filter(\.isNumber)).map { max(1, $0) } ?? 1
    }

    /// 16 hex digits standing for a split's tags (Kuma hashes them; FNV-1a 64 here, stable).
    static func hex16(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
