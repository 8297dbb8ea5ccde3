/// An admin API a simulated proxy serves. Each lives in its own folder (`EnvoyAdmin/`,
/// `Linkerd/`, `Mosn/`) and reaches the shared core (`Core/`: topology, traffic, certificates,
/// scenarios, faults) only through its types. A new face — a ztunnel, a plain Envoy, a
/// Kubernetes API — adds a folder and a line below.
protocol ProxyFace {
    /// Answers one request that arrived at proxy `index`'s admin listener.
    static func respond(_ request: SimRequest, proxy index: Int, simulator: MeshSimulator) -> SimResponse
}

extension EnvoyAdminRouter: ProxyFace {}
extension LinkerdAdminRouter: ProxyFace {}
extension MosnAdminRouter: ProxyFace {}

extension SimMesh {
    /// The admin API a proxy of this mesh serves.
    var face: any ProxyFace.Type {
        switch self {
        case .istio, .kuma, .consul, .envoyGateway: EnvoyAdminRouter.self
        case .linkerd: LinkerdAdminRouter.self
        case .mosn: MosnAdminRouter.self
        }
    }
}
