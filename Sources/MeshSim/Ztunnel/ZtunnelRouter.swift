import Foundation

/// Answers a ztunnel's admin (`/config_dump`, `/logging`) and metrics (`/stats/prometheus`,
/// `/metrics`) requests. Real ztunnels serve the first on localhost:15000 and the second on the
/// pod IP's :15020; the direct simulation serves both on one loopback listener per ztunnel.
enum ZtunnelRouter {
    static func respond(_ request: SimRequest, ztunnel index: Int, simulator: MeshSimulator) -> SimResponse {
        if request.path == "/logging", request.method == "POST" {
            let level = request.queryItems.first { $0.0 == "level" }?.1 ?? ""
            guard ["trace", "debug", "info", "warn", "error", "off"].contains(level) else { return .text(400, "invalid level \(level)\n") }
            return .text(200, "current log level is \(level)\n")
        }
        guard request.method == "GET" || request.method == "HEAD" else { return .text(405, "method not allowed\n") }
        return simulator.read { state -> SimResponse in
            // A request that slipped in while the ztunnel went away is refused as a dead socket would be.
            guard !state.ztunnelsDown.contains(index) else { return .text(503, "ztunnel is gone\n") }
            let ztunnel = state.topology.ztunnels[index]
            switch request.path {
            case "/config_dump": return .json(ZtunnelRenderer.configDump(state, ztunnel: ztunnel), pretty: true)
            case "/logging": return .text(200, "current log level is info\n")
            case "/stats/prometheus", "/metrics":
                return SimResponse(status: 200, contentType: "text/plain; version=0.0.4", body: Array(ZtunnelRenderer.metrics(state, ztunnel: ztunnel).utf8))
            case "/healthz/ready": return .text(200, "ready\n")
            default: return .text(404, "not found\n")
            }
        }
    }
}
