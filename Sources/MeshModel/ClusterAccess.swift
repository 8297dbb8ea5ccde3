/// What meshtop may reach of a cluster, decided from SelfSubjectAccessReviews and shown on
/// screen and in exports: the tier, and each missing permission in words with what it costs.
public struct ClusterAccess: Sendable, Codable, Hashable {
    public enum Tier: String, Sendable, Codable, Hashable, CaseIterable {
        /// istiod's :15014 and each proxy's :15000 through port-forwards (everything).
        case portForward = "port-forward"
        /// :15090 / :15020 through the pod proxy: RED metrics, server state, certificate expiry.
        case podMetrics = "pod-metrics"
        /// Traffic from Prometheus only.
        case prometheusOnly = "prometheus-only"
        /// Not even pods can be listed.
        case none
    }

    /// The kubeconfig context (or `in-cluster`) and its cluster.
    public var context: String
    public var cluster: String
    /// The namespace whose proxies are polled (`-n`, `:ns`); nil: every namespace.
    public var namespace: String?
    public var tier: Tier
    /// "no `create pods/portforward` in istio-system: certificates from istio_agent_cert_expiry_seconds only".
    public var missing: [String]

    public init(context: String, cluster: String, namespace: String? = nil, tier: Tier, missing: [String] = []) {
        self.context = context
        self.cluster = cluster
        self.namespace = namespace
        self.tier = tier
        self.missing = missing
    }

    /// `context` or `context -n NAMESPACE`, as the status line and the Overview name it.
    public var scope: String { context + (namespace.map { " -n \($0)" } ?? "") }
}
