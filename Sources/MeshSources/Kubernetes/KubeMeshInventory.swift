import Foundation
import MeshModel

/// A cluster as the poller sees it: its access tier (decided once, from access reviews) and
/// its pods (`KubeInventory`) as istiod endpoints and proxy targets, routed the way the tier
/// allows — through port-forwards for istiod's :15014 and Envoy's :15000, through the pod
/// proxy for the stats on :15090.
public final class KubeMeshInventory: TargetInventory {
    public let access: ClusterAccess
    let configs: KubeConfigObjects
    let pods: KubeInventory
    let server: String
    /// The pod proxy carries the stats (`get pods/proxy`); else they come through the port-forward too.
    let statsThroughPodProxy: Bool

    public init(access: ClusterAccess, pods: KubeInventory, server: String, statsThroughPodProxy: Bool) {
        self.access = access
        self.pods = pods
        self.server = server
        self.statsThroughPodProxy = statsThroughPodProxy
        configs = KubeConfigObjects(client: pods.client)
    }

    /// Probes access and starts following the pods (the list runs in the background; the first
    /// poll waits for it): everything a session needs before its screen. Fails when the API
    /// server cannot be reached or the access review is refused; a failed list is the
    /// `kubernetes` source's error in the polls, retried every 2 s.
    public static func start(client: MeshClient, context: String, cluster: String, server: String, namespace: String?) async throws(SourceError) -> KubeMeshInventory {
        let access = try await KubeAccessProbe(client: client).probe(context: context, cluster: cluster, namespace: namespace)
        let pods = KubeInventory(client: client, namespace: namespace)
        if access.tier != .none { await pods.follow() }
        let podProxy = !access.missing.contains { $0.contains("pods/proxy") }
        return KubeMeshInventory(access: access, pods: pods, server: server, statsThroughPodProxy: podProxy)
    }

    public func snapshot() async -> InventorySnapshot {
        await pods.firstList()
        let (istiods, proxies) = await pods.current
        var snapshot = InventorySnapshot(access: [access])
        let error = await pods.error
        snapshot.sources = [SourceStatus(name: "kubernetes", url: "\(access.context) \(SecretRedaction.url(server))", ok: error == nil,
                                         error: error?.description, lastSuccess: error == nil ? Date() : nil)]
        switch access.tier {
        case .portForward:
            // Port-forwards to the proxies but not into istio-system: istiod is left out, not failed every poll.
            if !access.missing.contains(where: { $0.hasSuffix(KubeAccessProbe.noIstiodSuffix) }) {
                snapshot.istiods = istiods.map { .portForward(namespace: $0.namespace, pod: $0.name, port: 15014) }
            }
            snapshot.targets = proxies.map { pod in
                ScrapeTarget(route: .portForward(namespace: pod.namespace, pod: pod.name, port: 15000),
                             statsRoute: statsThroughPodProxy ? .podProxy(namespace: pod.namespace, pod: pod.name, port: 15090) : nil,
                             labels: Self.labels(pod))
            }
        case .podMetrics:
            // istiod is not polled: the pod proxy strips the caller's token, and istiod answers 401.
            // Routing config comes from the Istio resources themselves.
            snapshot.configs = await configs.current()
            snapshot.targets = proxies.map { pod in
                var labels = Self.labels(pod)
                labels["access"] = "pod-metrics"
                return ScrapeTarget(route: .podProxy(namespace: pod.namespace, pod: pod.name, port: 15020), labels: labels)
            }
        case .prometheusOnly:
            snapshot.configs = await configs.current()
        case .none:
            break
        }
        return snapshot
    }

    static func labels(_ pod: KubePod) -> [String: String] {
        var labels = ["proxy": pod.proxyID, "namespace": pod.namespace, "pod": pod.name, "kind": "envoy"]
        if let app = pod.labels["service.istio.io/canonical-name"] ?? pod.labels["app"] { labels["app"] = app }
        if let version = pod.labels["service.istio.io/canonical-revision"] ?? pod.labels["version"] { labels["version"] = version }
        return labels
    }

    public func stop() async { await pods.stop() }
}
