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

    /// Compact form for tables (≤ 11 columns): `istio/envoy`, `istio/prom`, `istio` (known to
    /// istiod, no traffic source), and `linkerd`, `mosn`, whose only source is their proxies'
    /// own admin API. Exports carry both fields in full.
    public var label: String {
        switch (mesh, source) {
        case ("istio", "envoy"): "istio/envoy"
        case ("istio", "prometheus"): "istio/prom"
        case ("linkerd", "linkerd-proxy"), ("mosn", "mosn-admin"), ("istio", "istiod"): mesh
        default: "\(mesh)/\(source)"
        }
    }
}
