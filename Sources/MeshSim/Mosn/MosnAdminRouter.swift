import Foundation

/// Answers one request to a SOFAMosn admin API (`:34901`, mesh-apis.md §6).
enum MosnAdminRouter {
    static let levels: Set = ["FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"]
    static let defaultLogPath = "./logs/default.log"

    static func respond(_ request: SimRequest, proxy index: Int, simulator: MeshSimulator) -> SimResponse {
        let path = request.path
        if path == "/api/v1/update_loglevel" {
            guard request.method == "POST" else { return error(405, "method not allowed") }
            return updateLogLevel(request, proxy: index, simulator: simulator)
        }
        guard request.method == "GET" else { return error(405, "method not allowed") }
        switch path {
        case "/api/v1/version":
            return .text(200, "mosn version: \(simulator.read { $0.options.mosnVersion })")
        case "/api/v1/states":
            let draining = simulator.read { $0.proxies[index].healthCheckFailed }
            return .text(200, "pid=\(4000 + index)&state=\(draining ? 8 : 6)")
        case "/api/v1/stats":
            let context = simulator.context(forProxy: index)
            let stats = MosnRenderer.stats(context)
            if let key = request.query["key"] {
                guard let entry = stats.first(where: { $0.0 == key }) else { return .text(200, "no metrics key: \(key)") }
                return .json(.object([entry]), pretty: false)
            }
            return .json(.object(stats), pretty: false)
        case "/api/v1/config_dump":
            guard request.queryItems.count <= 1 else { return error(400, "only support one parameter") }
            return .json(MosnRenderer.configDump(simulator.context(forProxy: index)), pretty: false)
        case "/api/v1/get_loglevel":
            let level = simulator.read { $0.proxies[index].loggers["mosn"] } ?? "INFO"
            return .json(.object([(defaultLogPath, .string(level))]), pretty: false)
        default:
            return error(404, "not found: \(path)")
        }
    }

    /// `{"log_path": "./logs/default.log", "log_level": "DEBUG"}`.
    static func updateLogLevel(_ request: SimRequest, proxy index: Int, simulator: MeshSimulator) -> SimResponse {
        guard let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
              let level = (body["log_level"] as? String)?.uppercased(), levels.contains(level) else {
            return error(400, "update log level failed: want {\"log_path\": …, \"log_level\": FATAL|ERROR|WARN|INFO|DEBUG|TRACE}")
        }
        simulator.mutate { state in
            state.proxies[index].loggers["mosn"] = level
            state.journal.append("log level of \(state.topology.proxies[index].id): \(level)")
        }
        return .text(200, "update logger success\n")
    }

    static func error(_ status: Int, _ message: String) -> SimResponse {
        .json(.object([("error", .string(message))]), pretty: false, status: status)
    }
}
