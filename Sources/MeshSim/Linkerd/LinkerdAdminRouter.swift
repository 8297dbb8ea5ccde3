import Foundation

/// Answers one request to a Linkerd proxy's admin server (`:4191`, mesh-apis.md §5).
enum LinkerdAdminRouter {
    static let defaultFilter = "warn,linkerd=info"

    static func respond(_ request: SimRequest, proxy index: Int, simulator: MeshSimulator) -> SimResponse {
        switch (request.method, request.path) {
        case ("GET", "/metrics"), ("HEAD", "/metrics"):
            let context = simulator.context(forProxy: index)
            return SimResponse(status: 200, contentType: "text/plain; version=0.0.4", body: Array(LinkerdRenderer.metrics(context).utf8))
        case ("GET", "/ready"):
            return simulator.read { $0.proxies[index].healthCheckFailed } ? .text(503, "not ready\n") : .text(200, "ready\n")
        case ("GET", "/live"):
            return .text(200, "live\n")
        case ("GET", "/proxy-log-level"):
            return .text(200, simulator.read { $0.proxies[index].loggers["filter"] } ?? defaultFilter)
        case ("PUT", "/proxy-log-level"):
            let filter = String(decoding: request.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !filter.isEmpty, filter.allSatisfy({ $0.isLetter || $0.isNumber || ",=_:.".contains($0) }) else {
                return .text(400, "invalid log level filter\n")
            }
            simulator.mutate { state in
                state.proxies[index].loggers["filter"] = filter
                state.journal.append("log level of \(state.topology.proxies[index].id): \(filter)")
            }
            return SimResponse(status: 204, body: [])
        case (_, "/metrics"), (_, "/ready"), (_, "/live"), (_, "/proxy-log-level"):
            return .text(405, "method not allowed\n")
        default:
            return .text(404, "not found\n")
        }
    }
}
