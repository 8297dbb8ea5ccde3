import Foundation
import MeshModel
import Synchronization

/// How each namespace's proxies are reached, and the access an operator is shown. RBAC is often
/// granted by RoleBindings per namespace: a user who may port-forward only in their team's
/// namespaces is refused cluster-wide, yet their proxies can be read fully. So where the
/// scope's answer is no, each namespace with proxies is asked on its own (again every 5
/// minutes), and a 403 seen at run time (`KubeRefusals`) takes that namespace down a tier at
/// once. The tier shown is the best any namespace has; what the others miss is said per
/// namespace.
actor KubeAccessPlan {
    let probe: KubeAccessProbe
    let answers: KubeAccessProbe.Answers
    let refusals: KubeRefusals
    /// The session's scope: one namespace (`-n`), or nil for all.
    let namespace: String?
    /// What was found of a Prometheus in the cluster (prometheus-only tier without --prometheus).
    private var prometheus: KubePrometheus.Outcome?
    private var asked: [String: (rights: PodRights, at: Date)] = [:]
    static let reaskSeconds: TimeInterval = 300

    /// `podNetwork`: meshtop runs in the cluster and reads pod IPs directly, so the pod proxy's
    /// permission does not matter (`podProxy` stands for "the pod-IP ports are reachable").
    init(probe: KubeAccessProbe, answers: KubeAccessProbe.Answers, refusals: KubeRefusals, namespace: String?, podNetwork: Bool = false) {
        self.probe = probe
        var answers = answers
        if podNetwork { answers.pods.podProxy = true }
        self.answers = answers
        self.refusals = refusals
        self.namespace = namespace
    }

    /// The rights in each of `namespaces`: the scope's answers, a namespace's own where those
    /// say no, less what was refused at run time. An access review that fails keeps the scope's.
    func rights(for namespaces: Set<String>) async -> [String: PodRights] {
        var result: [String: PodRights] = [:]
        for namespace in namespaces.sorted() {
            var rights = answers.pods
            if !rights.portForward || !rights.podProxy {
                if let cached = asked[namespace], Date().timeIntervalSince(cached.at) < Self.reaskSeconds {
                    rights = cached.rights
                } else {
                    if !rights.portForward { rights.portForward = (try? await probe.allowed(.portForward(namespace))) ?? false }
                    if !rights.podProxy { rights.podProxy = (try? await probe.allowed(.podProxy(namespace))) ?? false }
                    asked[namespace] = (rights, Date())
                }
            }
            if refusals.refused(.portForward, namespace: namespace) { rights.portForward = false }
            if refusals.refused(.podProxy, namespace: namespace) { rights.podProxy = false }
            result[namespace] = rights
        }
        return result
    }

    func setPrometheus(_ outcome: KubePrometheus.Outcome) { prometheus = outcome }

    /// Whether istiod's debug API can be reached (a port-forward into its namespace).
    var istiodReachable: Bool { answers.forwardIstiod && !refusals.refused(.portForward, namespace: KubeInventory.istiodNamespace) }

    /// The access to show for these rights (nil for a cluster whose pods are not listed yet:
    /// the scope's answers stand for every namespace).
    func access(context: String, cluster: String, rights: [String: PodRights]) -> ClusterAccess {
        var access = Self.access(context: context, cluster: cluster, namespace: namespace, answers: answers, istiod: istiodReachable, rights: rights,
                                 prometheusFound: prometheus.map { if case .found = $0 { true } else { false } } ?? false)
        if case let .unusable(words)? = prometheus { access.missing.append(words) }
        return access
    }

    static let noIstiodSuffix = ": istiod's sync state and config through its debug API unavailable"

    static func access(context: String, cluster: String, namespace: String?, answers: KubeAccessProbe.Answers, istiod: Bool,
                       rights: [String: PodRights], prometheusFound: Bool = false) -> ClusterAccess {
        guard answers.listPods else {
            let list = KubeAccessProbe.Question(verb: "list", resource: "pods", namespace: namespace)
            return ClusterAccess(context: context, cluster: cluster, namespace: namespace, tier: .none,
                                 missing: ["no \(list.words): no pods to discover — ask for the pod-metrics ClusterRole (README, Connecting to a cluster)"])
        }
        // Before the pods are known, the scope's answers stand for all of them.
        let known = rights.isEmpty ? ["": answers.pods] : rights
        let scope = { (names: [String]) -> String in
            names.count == known.count ? (namespace.map { "in \($0)" } ?? "cluster-wide") : "in " + names.joined(separator: ", ")
        }
        var missing: [String] = []
        if !istiod {
            missing.append("no \(KubeAccessProbe.Question.portForward(KubeInventory.istiodNamespace).words)" + noIstiodSuffix)
        }
        let forwarded = known.filter { $0.value.portForward }.keys.sorted()
        let notForwarded = known.filter { !$0.value.portForward }.keys.sorted()
        if !notForwarded.isEmpty {
            let metricsOnly = notForwarded.contains { known[$0]?.podProxy == true }
            let consequence: String
            if forwarded.isEmpty {
                consequence = metricsOnly ? "certificates from istio_agent_cert_expiry_seconds only, no config, no actions" : "no certificates, config or actions"
            } else {
                consequence = metricsOnly ? "those proxies through pod metrics (certificate expiry only, no config, no actions)" : "those proxies not polled"
            }
            missing.append("no `create pods/portforward` \(scope(notForwarded)): \(consequence)")
        }
        // Without a port-forward the stats need the pod proxy; with one they come through it.
        let unmeasured = known.filter { !$0.value.portForward && !$0.value.podProxy }.keys.sorted()
        if !unmeasured.isEmpty {
            missing.append("no `get pods/proxy` \(scope(unmeasured)): no RED metrics from the pods — "
                           + (prometheusFound ? "they come from the cluster's Prometheus" : "give --prometheus"))
        }
        let tier: ClusterAccess.Tier = !forwarded.isEmpty ? .portForward : known.values.contains { $0.podProxy } ? .podMetrics : .prometheusOnly
        return ClusterAccess(context: context, cluster: cluster, namespace: namespace, tier: tier, missing: missing)
    }
}

/// 403s a running session met on a port-forward or the pod proxy, by namespace: RBAC narrowed
/// since the access reviews (or never matched them). Each counts for 5 minutes, then the
/// reviews are asked again.
public final class KubeRefusals: Sendable {
    public enum Kind: Sendable, Hashable { case portForward, podProxy }
    private let refused = Mutex<[Kind: [String: Date]]>([:])

    public init() {}

    func record(_ kind: Kind, namespace: String) {
        refused.withLock { $0[kind, default: [:]][namespace] = Date() }
    }

    func refused(_ kind: Kind, namespace: String) -> Bool {
        refused.withLock { $0[kind]?[namespace].map { Date().timeIntervalSince($0) < KubeAccessPlan.reaskSeconds } ?? false }
    }
}
