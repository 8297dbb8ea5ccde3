import Foundation

/// A pod of the simulated cluster: a proxy's, or istiod's.
public enum KubeSimPod: Sendable, Equatable {
    case proxy(Int)
    case istiod
}

/// What each pod port answers, and from where, as in a real Istio pod (mesh-apis.md §9.1):
/// Envoy's admin :15000 listens on localhost only, so only a port-forward reaches it; on the pod
/// IP :15090 serves `/stats/prometheus` only, pilot-agent's :15020 the merged metrics with
/// `istio_agent_cert_expiry_seconds`, :15021 `/healthz/ready`. istiod's :15014 serves
/// everything to localhost (a port-forward) and wants a token from anyone else (the API
/// server's pod proxy strips the caller's).
enum KubePodPorts {
    static let admin = 15000
    static let envoyPrometheus = 15090
    static let agent = 15020
    static let health = 15021
    static let istiodMonitoring = 15014
    static let istiodHTTP = 8080

    /// Whether something listens on `port` of `pod`, reached from localhost (port-forward) or
    /// from the pod IP (the API server's pod proxy).
    static func listens(_ pod: KubeSimPod, port: Int, fromLocalhost: Bool) -> Bool {
        switch pod {
        case .proxy: port == admin ? fromLocalhost : [envoyPrometheus, agent, health].contains(port)
        case .istiod: [istiodMonitoring, istiodHTTP].contains(port)
        }
    }

    static func respond(_ request: SimRequest, pod: KubeSimPod, port: Int, fromLocalhost: Bool, simulator: MeshSimulator) -> SimResponse {
        switch pod {
        case .istiod:
            if port == istiodHTTP { return request.path == "/ready" ? .text(200, "") : .text(404, "404 page not found\n") }
            var request = request
            request.remoteIsLoopback = fromLocalhost
            return IstiodRouter.respond(request, simulator: simulator)
        case let .proxy(index):
            switch port {
            case admin: return EnvoyAdminRouter.respond(request, proxy: index, simulator: simulator)
            case envoyPrometheus:
                guard request.path.hasPrefix("/stats/prometheus") else { return SimResponse(status: 404, body: []) }
                return EnvoyAdminRouter.respond(request, proxy: index, simulator: simulator)
            case agent:
                switch request.path {
                case "/stats/prometheus": return agentMetrics(request, proxy: index, simulator: simulator)
                case "/healthz/ready": return ready(index, simulator)
                default: return .text(404, "404 page not found\n")
                }
            case health:
                return request.path == "/healthz/ready" ? ready(index, simulator) : .text(404, "404 page not found\n")
            default:
                return .text(503, "connection refused\n")
            }
        }
    }

    static func ready(_ index: Int, _ simulator: MeshSimulator) -> SimResponse {
        let live = simulator.read { $0.proxies[index].serverState == "LIVE" }
        return live ? SimResponse(status: 200, body: []) : .text(503, "Envoy proxy is NOT ready: server is not live, current state is: DRAINING\n")
    }

    /// pilot-agent's merged scrape: Envoy's own metrics, then the agent's, among them the
    /// seconds left on the workload certificate (negative once it has expired).
    static func agentMetrics(_ request: SimRequest, proxy index: Int, simulator: MeshSimulator) -> SimResponse {
        var envoy = SimRequest(method: "GET", uri: "/stats/prometheus", localAddress: request.localAddress)
        envoy.headers = request.headers
        var body = EnvoyAdminRouter.respond(envoy, proxy: index, simulator: simulator).body
        let (expiry, version) = simulator.read { state in
            (state.proxies[index].leaf.map { $0.notAfter.timeIntervalSince(simulator.now()) }, state.options.istioVersion)
        }
        var lines = ["# HELP istio_agent_cert_expiry_seconds The time remaining, in seconds, before the certificate chain will expire. A negative value indicates the cert is expired.",
                     "# TYPE istio_agent_cert_expiry_seconds gauge"]
        if let expiry { lines.append("istio_agent_cert_expiry_seconds{resource_name=\"default\"} \(JSONWriter.format(expiry.rounded()))") }
        lines += ["# HELP istio_build Istio component build info", "# TYPE istio_build gauge",
                  "istio_build{component=\"proxy\",tag=\"\(version)\"} 1", ""]
        body += Array(lines.joined(separator: "\n").utf8)
        return SimResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: body)
    }
}
