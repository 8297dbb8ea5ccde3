/// Which mesh a row belongs to and which source its numbers came from, so that one snapshot can
/// mix meshes (product.md §3) and every row says where it stands.
public struct Origin: Sendable, Codable, Hashable {
    /// `istio`, `linkerd` or `mosn`.
    public var mesh: String
    /// `envoy` (Envoy admin APIs), `prometheus`, `linkerd-proxy` (`:4191/metrics`),
    /// `mosn-admin` (`/api/v1/stats`) or `istiod` (known to the control plane, no traffic source).
    public var source: String

    public init(mesh: String, source: String) {
        self.mesh = mesh
        self.source = source
    }

    public static let istioEnvoy = Origin(mesh: "istio", source: "envoy")
    public static let istioPrometheus = Origin(mesh: "istio", source: "prometheus")
    public static let istiod = Origin(mesh: "istio", source: "istiod")
    public static let linkerd = Origin(mesh: "linkerd", source: "linkerd-proxy")
    public static let mosn = Origin(mesh: "mosn", source: "mosn-admin")

    /// The origin of what a proxy admin target of this kind (`envoy`, `linkerd`, `mosn`) reports.
    public static func ofTarget(kind: String) -> Origin {
        switch kind {
        case "linkerd": .linkerd
        case "mosn": .mosn
        default: .istioEnvoy
        }
    }

    /// Compact form for tables: `istio/envoy`, `istio/prom`, `linkerd/proxy`, `mosn/admin`.
    public var label: String {
        let short = switch source {
        case "prometheus": "prom"
        case "linkerd-proxy": "proxy"
        case "mosn-admin": "admin"
        default: source
        }
        return "\(mesh)/\(short)"
    }
}
