import Foundation

extension SimulatorState {
    /// `POST /logging` with `level=`, `<logger>=` or `paths=` parameters. Without parameters it
    /// only lists the loggers, as Envoy does.
    mutating func setLogging(proxy index: Int, query: [(String, String)]) -> ActionResult {
        let levels: Set = ["trace", "debug", "info", "warning", "warn", "error", "critical", "off"]
        for (key, value) in query {
            if key == "level" {
                guard levels.contains(value) else { return ActionResult(status: 404, body: "error: unknown logger level\n") }
                for logger in proxies[index].loggers.keys { proxies[index].loggers[logger] = value == "warn" ? "warning" : value }
            } else if key == "paths" {
                for pair in value.split(separator: ",") {
                    let parts = pair.split(separator: ":").map(String.init)
                    guard parts.count == 2, proxies[index].loggers[parts[0]] != nil, levels.contains(parts[1]) else {
                        return ActionResult(status: 404, body: "error: invalid paths '\(value)'\n")
                    }
                    proxies[index].loggers[parts[0]] = parts[1]
                }
            } else if proxies[index].loggers[key] != nil {
                guard levels.contains(value) else { return ActionResult(status: 404, body: "error: unknown logger level\n") }
                proxies[index].loggers[key] = value
            } else {
                return ActionResult(status: 404, body: "error: unknown logger '\(key)'\n")
            }
        }
        if !query.isEmpty {
            journal.append("logging on \(topology.proxies[index].id): \(query.map { "\($0.0)=\($0.1)" }.joined(separator: "&"))")
        }
        let lines = proxies[index].loggers.keys.sorted().map { "  \($0): \(proxies[index].loggers[$0]!)" }
        return ActionResult(status: 200, body: "active loggers:\n" + lines.joined(separator: "\n") + "\n")
    }
}
