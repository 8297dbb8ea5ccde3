/// A service of the simulated mesh.
public struct SimService: Sendable {
    public var index: Int
    public var name: String
    public var namespace: String
    public var port: Int
    public var vip: String
    public var serviceAccount: String
    /// Indices into `SimTopology.workloads`, one per version.
    public var workloads: [Int]
    /// True for the ingress gateway (its proxies are `router`s and it has no inbound mesh traffic).
    public var isGateway: Bool
    /// Requests per second arriving from outside the mesh (only gateways have them).
    public var externalRPS: Double
    /// Which mesh the service's pods are in: it decides the admin API their proxies serve.
    public var mesh: SimMesh = .istio
    /// Istio's ambient data plane (`--dataplane`): the pods have no proxy of their own; their
    /// node's ztunnel carries and measures their traffic (Ambient.swift).
    public var ambient = false

    public var hostname: String { "\(name).\(namespace).svc.cluster.local" }
    /// Envoy cluster name of the service without a subset, in its mesh's naming:
    /// `outbound|9080||reviews.default.svc.cluster.local` in Istio (EnvoyFlavour.swift).
    public var defaultCluster: String { mesh.outboundCluster(self, subset: nil) }
    public func subsetCluster(_ subset: String) -> String { mesh.outboundCluster(self, subset: subset) }
}

/// One version of a service (a Deployment): `reviews-v2`.
public struct SimWorkload: Sendable {
    public var index: Int
    public var service: Int
    public var name: String
    public var version: String
    /// Indices into `SimTopology.proxies`.
    public var proxies: [Int]
}

/// One pod with its Envoy proxy.
public struct SimProxy: Sendable {
    public var index: Int
    public var workload: Int
    public var service: Int
    public var podName: String
    public var namespace: String
    /// The address the pod has inside the simulated cluster (shown in endpoints, never bound).
    public var podIP: String
    /// The loopback address its admin API listens on (127.0.x.y).
    public var adminHost: String
    public var type: String

    /// Node id short form, `<pod>.<namespace>`.
    public var id: String { "\(podName).\(namespace)" }
    /// Envoy's full node id: `sidecar~10.244.0.7~productpage-v1-….default~default.svc.cluster.local`.
    public var nodeID: String { "\(type)~\(podIP)~\(podName).\(namespace)~\(namespace).svc.cluster.local" }
}

/// A call relation between two services with its traffic model.
public struct SimEdge: Sendable {
    public var index: Int
    public var source: Int
    public var destination: Int
    /// Requests per second across all source pods.
    public var rps: Double
    /// Baseline shares of 5xx and 4xx answers.
    public var serverErrorRate: Double
    public var clientErrorRate: Double
    /// Log-normal latency: median in ms and shape.
    public var latencyMedianMs: Double
    public var latencySigma: Double
    /// Versions of the source service that make this call (nil: all). In Bookinfo only
    /// reviews v2 and v3 call ratings.
    public var sourceVersions: Set<String>? = nil
}

/// The whole simulated mesh: fixed at start (proxies may come and go, config may change, but the
/// set of services, workloads and pods is stable).
public struct SimTopology: Sendable {
    public var services: [SimService]
    public var workloads: [SimWorkload]
    public var proxies: [SimProxy]
    public var edges: [SimEdge]
    /// The routing configuration at start (VirtualServices, DestinationRules, Gateways, Sidecars).
    public var routing: RoutingConfig
    /// Which services each namespace's sidecars receive (the egress of a `Sidecar` resource:
    /// its own namespace, istio-system, and the services it calls elsewhere); a namespace missing
    /// here sees the whole mesh.
    public var sidecarScopes: [String: Set<Int>]
    /// The cluster's nodes (every pod runs on one) and the ztunnel on each of them, when part
    /// of the mesh is ambient (Ambient.swift).
    public var nodeNames: [String] = ["sim-worker-1", "sim-worker-2", "sim-worker-3"]
    public var ztunnels: [SimZtunnel] = []

    public var namespaces: [String] {
        var seen: [String] = []
        for service in services where !seen.contains(service.namespace) { seen.append(service.namespace) }
        return seen
    }

    /// Services whose clusters a proxy in `namespace` receives.
    public func visibleServices(from namespace: String) -> [SimService] {
        guard let scope = sidecarScopes[namespace] else { return services }
        return services.filter { scope.contains($0.index) }
    }

    /// Puts services into meshes (`--mesh`). `mixed` keeps the gateway in Istio and deals the
    /// other services out to Istio, Linkerd and MOSN in turn — by namespace when there are three
    /// or more, else by service — so every mesh gets some of the traffic.
    public mutating func assignMeshes(_ mode: SimMeshMode) {
        let meshes: [SimMesh] = [.istio, .linkerd, .mosn]
        let namespaces = self.namespaces.filter { $0 != "istio-system" }
        var next = 0
        for index in services.indices {
            switch mode {
            case .istio: services[index].mesh = .istio
            case .linkerd: services[index].mesh = .linkerd
            case .mosn: services[index].mesh = .mosn
            case .kuma: services[index].mesh = .kuma
            case .consul: services[index].mesh = .consul
            case .envoyGateway: services[index].mesh = .envoyGateway
            case .mixed:
                if services[index].isGateway { services[index].mesh = .istio; continue }
                if namespaces.count >= 3, let position = namespaces.firstIndex(of: services[index].namespace) {
                    services[index].mesh = meshes[position % 3]
                } else {
                    services[index].mesh = meshes[next % 3]
                    next += 1
                }
            }
        }
    }

    /// The mesh of a proxy's pod.
    public func mesh(ofProxy index: Int) -> SimMesh { services[proxies[index].service].mesh }

    /// Outbound edges of a service.
    public func edges(from service: Int) -> [SimEdge] { edges.filter { $0.source == service } }
}

/// The mesh a simulated pod belongs to, and so the admin API its proxy serves.
public enum SimMesh: String, Sendable, CaseIterable {
    /// Envoy sidecar, connected to istiod (Envoy admin API).
    case istio
    /// Linkerd proxy (`/metrics`, `/ready`, `/live`, `/proxy-log-level`).
    case linkerd
    /// SOFAMosn (`/api/v1/stats`, `/api/v1/config_dump`, …).
    case mosn
    /// Envoy in Kuma's data plane: no istiod, Envoy's own stats, Kuma's cluster names.
    case kuma
    /// Envoy as Consul's sidecar: Consul's cluster names, the `public_listener` inbound side.
    case consul
    /// Envoy Gateway's proxies: one cluster per route rule, `httproute/NS/NAME/rule/N`.
    case envoyGateway = "envoy-gateway"

    /// The targets file's `kind` label (every Envoy-based mesh is `envoy`; meshtop tells the
    /// flavours apart by their cluster names, or a `flavour:` label).
    public var targetKind: String {
        switch self {
        case .istio, .kuma, .consul, .envoyGateway: "envoy"
        case .linkerd: "linkerd"
        case .mosn: "mosn"
        }
    }
}

/// `meshtop sim --mesh`: one mesh for all services, or a mix of Istio, Linkerd and MOSN.
public enum SimMeshMode: String, Sendable, CaseIterable {
    case istio, linkerd, mosn, kuma, consul, envoyGateway = "envoy-gateway", mixed

    /// Whether istiod knows the mesh's proxies (syncz, configz): only where Istio is in it.
    public var hasIstio: Bool { [.istio, .mixed].contains(self) }
}
