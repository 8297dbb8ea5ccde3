import Foundation

/// Answers istiod debug requests, with istiod's access rules (mesh-apis.md §1.1).
enum IstiodRouter {
    /// Paths a namespace-limited identity may still use (Istio ≥ 1.30).
    static let namespaceScopedPaths: Set = ["/debug/config_dump", "/debug/ndsz", "/debug/edsz"]

    enum Access: Equatable {
        case full
        case namespace(String)
        case denied
    }

    /// Loopback callers are trusted; others need the system token (full access) or a namespace
    /// token (limited access).
    static func access(remoteIsLoopback: Bool, authorization: String?, options: SimOptions) -> Access {
        if remoteIsLoopback, !options.requireTokenFromLoopback { return .full }
        guard let authorization, authorization.hasPrefix("Bearer ") else { return .denied }
        let token = String(authorization.dropFirst("Bearer ".count))
        if let system = options.token, token == system { return .full }
        if let namespace = options.namespaceTokens.first(where: { $0.value == token })?.key { return .namespace(namespace) }
        return .denied
    }

    static func respond(_ request: SimRequest, simulator: MeshSimulator) -> SimResponse {
        let path = request.path
        guard request.method == "GET" || request.method == "HEAD" else {
            return .text(405, "method not allowed\n")
        }
        // Kuma, Consul and Envoy Gateway have no istiod: the listener stays (the first line on
        // stdout names it) but serves nothing a console could take for Istio's view.
        guard simulator.options.meshMode.hasIstio else {
            return .text(404, "no istiod: this simulated mesh is \(simulator.options.meshMode.rawValue) (its Envoys are read directly)\n")
        }
        let access = access(remoteIsLoopback: request.remoteIsLoopback, authorization: request.header("Authorization"),
                            options: simulator.options)
        if path.hasPrefix("/debug/") {
            switch access {
            case .denied:
                return .text(401, "authentication failure: no valid token or certificate presented\n")
            case let .namespace(namespace):
                guard namespaceScopedPaths.contains(path) else {
                    return .text(403, "only config_dump, ndsz and edsz are allowed for namespace \(namespace)\n")
                }
                if let proxyID = request.query["proxyID"], !proxyID.hasSuffix(".\(namespace)") {
                    return .text(403, "proxy \(proxyID) is not in namespace \(namespace)\n")
                }
            case .full:
                break
            }
        }
        let pretty = request.query["pretty"] != nil
        switch path {
        case "/version":
            return .text(200, simulator.read { IstiodRenderer.version($0) })
        case "/ready":
            return .text(200, "")
        case "/debug/syncz":
            return .json(simulator.read { IstiodRenderer.syncz($0, namespace: request.query["namespace"]) }, pretty: pretty)
        case "/debug/ambientz":
            return .json(simulator.read { IstiodRenderer.ambientz($0) }, pretty: pretty)
        case "/debug/registryz":
            return .json(simulator.read { IstiodRenderer.registryz($0) }, pretty: pretty)
        case "/debug/configz":
            return .json(simulator.read { ConfigRenderer.configz($0) }, pretty: pretty)
        case "/debug/endpointz", "/debug/endpointShardz":
            return .json(simulator.read { IstiodRenderer.endpointz($0) }, pretty: pretty)
        case "/debug/config_dump":
            guard let proxyID = request.query["proxyID"], !proxyID.isEmpty else {
                return .text(400, "You must provide a proxyID in the query string\n")
            }
            guard let context = simulator.intendedContext(forProxyID: proxyID) else {
                return .text(404, "Proxy not connected to this Pilot instance. It may be connected to another instance.\n")
            }
            do {
                return .json(try ConfigDumpRenderer.render(context, query: [:]), pretty: pretty)
            } catch {
                return .text(500, "\(error)\n")
            }
        default:
            return .text(404, "404 page not found\n")
        }
    }
}
