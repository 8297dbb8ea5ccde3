import MeshModel

/// Which service an Envoy cluster name stands for, in each mesh's naming (mesh-apis.md §11),
/// and which HTTP connection managers are a proxy's inbound side.
public enum EnvoyClusterNames {
    /// A cluster's destination: service, namespace, subset (a version where the mesh says so)
    /// and the host it names.
    public struct Destination: Sendable, Equatable {
        public var service: String
        public var namespace: String
        public var version: String
        public var host: String
    }

    /// The flavour whose naming `cluster` follows, when it shows one.
    public static func flavour(of cluster: String) -> MeshKind? {
        if cluster.hasPrefix("outbound|") || cluster.hasPrefix("inbound|") { return .istioEnvoy }
        if cluster.hasSuffix(".consul") { return .consul }
        if cluster.hasPrefix("kri_") || kumaLegacy(cluster) != nil { return .kuma }
        if ["httproute/", "grpcroute/", "tcproute/", "tlsroute/", "udproute/"].contains(where: cluster.hasPrefix) { return .envoyGateway }
        return nil
    }

    /// The destination of an outbound cluster in `flavour`'s naming; nil for a cluster that is
    /// no service (inbound, passthrough, the control plane's, the admin's).
    public static func destination(_ cluster: String, flavour: MeshKind) -> Destination? {
        switch flavour {
        case .consul: consul(cluster)
        case .kuma: kumaResource(cluster) ?? kumaLegacy(cluster)
        case .envoyGateway: envoyGateway(cluster)
        default: istio(cluster)
        }
    }

    /// Istio: `outbound|PORT|SUBSET|HOST`, the host `name.namespace.svc.<domain>` (a mesh-external
    /// host keeps its name, namespace unknown).
    static func istio(_ cluster: String) -> Destination? {
        let parts = cluster.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[0] == "outbound" else { return nil }
        let labels = parts[3].split(separator: ".").map(String.init)
        guard let name = labels.first else { return nil }
        let inCluster = labels.count >= 3 && labels[2] == "svc"
        return Destination(service: inCluster ? name : parts[3], namespace: inCluster ? labels[1] : "unknown",
                           version: parts[2].isEmpty ? "unknown" : parts[2], host: parts[3])
    }

    /// Consul: `[hash~][subset.]service.namespace.datacenter.internal|external.trust-domain.consul`.
    static func consul(_ cluster: String) -> Destination? {
        let name = cluster.split(separator: "~", maxSplits: 1).last.map(String.init) ?? cluster
        var labels = name.split(separator: ".").map(String.init)
        guard labels.last == "consul", let marker = labels.lastIndex(where: { $0 == "internal" || $0 == "external" || $0.hasPrefix("internal-") }),
              marker >= 3 else { return nil }
        labels = Array(labels[..<marker])
        // service.namespace.datacenter, with a subset in front when there are four.
        let subset = labels.count >= 4 ? labels[labels.count - 4] : "unknown"
        return Destination(service: labels[labels.count - 3], namespace: labels[labels.count - 2], version: subset, host: name)
    }

    /// Kuma's resource names: `kri_<msvc|extsvc|mmzsvc>_<mesh>_<zone>_<namespace>_<name>_<section>`.
    static func kumaResource(_ cluster: String) -> Destination? {
        let parts = cluster.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 7, parts[0] == "kri", ["msvc", "extsvc", "mmzsvc"].contains(parts[1]) else { return nil }
        return Destination(service: parts[5], namespace: parts[4].isEmpty ? "unknown" : parts[4], version: "unknown", host: cluster)
    }

    /// Kuma's legacy names: the `kuma.io/service` value, `name_namespace_svc_port`, with
    /// `-<hash>` after a split's subset.
    static func kumaLegacy(_ cluster: String) -> Destination? {
        let base = cluster.split(separator: "-").last.map { $0.count == 16 && $0.allSatisfy(\.isHexDigit) } == true
            ? String(cluster[..<cluster.lastIndex(of: "-")!]) : cluster
        let parts = base.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 4, parts[parts.count - 2] == "svc", Int(parts[parts.count - 1]) != nil else { return nil }
        return Destination(service: parts[0..<(parts.count - 3)].joined(separator: "_"), namespace: parts[parts.count - 3], version: "unknown", host: base)
    }

    /// Envoy Gateway: `httproute/NS/NAME/rule/N` — the route stands for the service.
    static func envoyGateway(_ cluster: String) -> Destination? {
        let parts = cluster.split(separator: "/").map(String.init)
        guard parts.count >= 3, parts[0].hasSuffix("route") else { return nil }
        return Destination(service: parts[2], namespace: parts[1], version: "unknown", host: cluster)
    }

    /// Whether an HTTP connection manager's prefix is the proxy's inbound side: Istio's
    /// `inbound_…`, Consul's `public_listener…`, Kuma's `localhost_<port>` / `self_inbound…`.
    public static func isInbound(httpPrefix prefix: String) -> Bool {
        prefix.hasPrefix("inbound") || prefix.hasPrefix("public_listener") || prefix.hasPrefix("localhost_") || prefix.hasPrefix("self_inbound")
    }
}
