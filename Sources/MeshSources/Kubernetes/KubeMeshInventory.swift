import Foundation
import MeshModel

/// A cluster as the poller sees it: its pods (`KubeInventory`) as istiod endpoints and proxy
/// targets, each routed the way its namespace's rights allow (`KubeAccessPlan`) — through
/// port-forwards for istiod's :15014 and Envoy's :15000 with the stats through the pod proxy
/// on :15090, or pilot-agent's :15020 through the pod proxy alone — and the access to show.
public final class KubeMeshInventory: TargetInventory {
    /// The access the reviews gave before any pod was seen (the tier an empty cluster shows).
    public let access: ClusterAccess
    /// A Prometheus found in the cluster and reachable through the service proxy, for the
    /// prometheus-only tier (`findPrometheus`).
    public let prometheus: MeshEndpoint?
    let plan: KubeAccessPlan
    let configs: KubeConfigObjects
    let pods: KubeInventory
    let server: String
    /// meshtop runs in the cluster: pod IPs answer directly, no pod proxy needed.
    let podNetwork: Bool

    init(access: ClusterAccess, prometheus: MeshEndpoint?, plan: KubeAccessPlan, pods: KubeInventory, server: String, podNetwork: Bool) {
        self.access = access
        self.prometheus = prometheus
        self.plan = plan
        self.pods = pods
        self.server = server
        self.podNetwork = podNetwork
        configs = KubeConfigObjects(client: pods.client)
    }

    /// Asks the access reviews and starts following the pods (the list runs in the background;
    /// the first poll waits for it): everything a session needs before its screen. Fails when the
    /// API server cannot be reached or the access review is refused; a failed list is the
    /// `kubernetes` source's error in the polls, retried. `refusals` are the 403s the session's
    /// transport meets later (`KubernetesTransport.refusals`). `podNetwork`: meshtop runs in a
    /// pod of the cluster, so the pod-IP ports (:15090, :15020) are read from the pod IPs.
    /// `findPrometheus`: no `--prometheus` was given; in the prometheus-only tier one is looked
    /// for in the cluster (`KubePrometheus`).
    public static func start(client: MeshClient, context: String, cluster: String, server: String, namespace: String?,
                             refusals: KubeRefusals = KubeRefusals(), podNetwork: Bool = false,
                             findPrometheus: Bool = false) async throws(SourceError) -> KubeMeshInventory {
        let probe = KubeAccessProbe(client: client)
        let answers = try await probe.answers(namespace: namespace)
        let plan = KubeAccessPlan(probe: probe, answers: answers, refusals: refusals, namespace: namespace, podNetwork: podNetwork)
        let pods = KubeInventory(client: client, namespace: namespace)
        if answers.listPods { await pods.follow() }
        var prometheus: MeshEndpoint?
        if findPrometheus, await plan.access(context: context, cluster: cluster, rights: [:]).tier == .prometheusOnly {
            let outcome = await KubePrometheus.find(client: client, probe: probe)
            if case let .found(endpoint) = outcome { prometheus = endpoint }
            await plan.setPrometheus(outcome)
        }
        let access = await plan.access(context: context, cluster: cluster, rights: [:])
        return KubeMeshInventory(access: access, prometheus: prometheus, plan: plan, pods: pods, server: server, podNetwork: podNetwork)
    }

    public func snapshot() async -> InventorySnapshot {
        await pods.firstList()
        let (istiods, proxies) = await pods.current
        let rights = await plan.rights(for: Set(proxies.map(\.namespace)))
        let istiodReachable = await plan.istiodReachable
        var snapshot = InventorySnapshot(access: [await plan.access(context: access.context, cluster: access.cluster, rights: rights)])
        let error = await pods.error
        snapshot.sources = [SourceStatus(name: "kubernetes", url: "\(access.context) \(SecretRedaction.url(server))", ok: error == nil,
                                         error: error?.description, lastSuccess: error == nil ? Date() : nil)]
        guard access.tier != .none else { return snapshot }
        // istiod through a port-forward into its namespace; without one its config comes from
        // the Istio resources themselves (the pod proxy strips the caller's token, and istiod
        // answers 401 to it).
        if istiodReachable {
            snapshot.istiods = istiods.map { .portForward(namespace: $0.namespace, pod: $0.name, port: 15014) }
        } else {
            snapshot.configs = await configs.current()
        }
        snapshot.targets = proxies.compactMap { pod in
            guard let rights = rights[pod.namespace] else { return nil }
            if rights.portForward {
                return ScrapeTarget(route: .portForward(namespace: pod.namespace, pod: pod.name, port: 15000),
                                    statsRoute: rights.podProxy ? podPort(pod, 15090) : nil, labels: Self.labels(pod))
            }
            guard rights.podProxy, let route = podPort(pod, 15020) else { return nil }
            var labels = Self.labels(pod)
            labels["access"] = "pod-metrics"
            return ScrapeTarget(route: route, labels: labels)
        }
        return snapshot
    }

    /// A pod-IP port: the pod IP itself in the cluster, else through the API server's pod proxy.
    func podPort(_ pod: KubePod, _ port: Int) -> MeshEndpoint? {
        guard podNetwork else { return .podProxy(namespace: pod.namespace, pod: pod.name, port: port) }
        guard let ip = pod.status?.podIP, !ip.isEmpty else { return nil }
        return .url("http://\(ip.contains(":") ? "[\(ip)]" : ip):\(port)")
    }

    static func labels(_ pod: KubePod) -> [String: String] {
        var labels = ["proxy": pod.proxyID, "namespace": pod.namespace, "pod": pod.name, "kind": "envoy"]
        if let app = pod.labels["service.istio.io/canonical-name"] ?? pod.labels["app"] { labels["app"] = app }
        if let version = pod.labels["service.istio.io/canonical-revision"] ?? pod.labels["version"] { labels["version"] = version }
        return labels
    }

    public func stop() async { await pods.stop() }
}
