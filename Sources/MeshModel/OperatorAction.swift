/// A mutating request an operator can send to one proxy's admin API from the console
/// (product.md §5), always behind a confirmation that names the target, never from the
/// dashboard or under `--readonly`.
public struct OperatorAction: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// `POST /logging?level=LEVEL`
        case setLogLevel(String)
        /// `POST /healthcheck/fail`: the proxy drains (fails its health check).
        case failHealthCheck
        /// `POST /healthcheck/ok`: back in rotation.
        case restoreHealthCheck
        /// `POST /reset_counters`
        case resetCounters
    }

    /// Envoy's log levels, as `/logging` accepts them.
    public static let logLevels = ["trace", "debug", "info", "warning", "error", "critical", "off"]

    public var kind: Kind
    public var proxyID: String
    /// The proxy's admin base URL (`http://10.1.2.3:15000`).
    public var adminURL: String
    /// The proxy's mesh (`istio`: Envoy admin API, `linkerd`, `mosn`): it decides the request.
    public var mesh: String

    public init(kind: Kind, proxyID: String, adminURL: String, mesh: String = "istio") {
        self.kind = kind
        self.proxyID = proxyID
        self.adminURL = adminURL
        self.mesh = mesh
    }

    /// Why this action does not exist for the proxy's mesh, or nil when it does: Linkerd and
    /// MOSN admin APIs have a log level but no drain or counter reset.
    public var unsupportedReason: String? {
        switch (mesh, kind) {
        case ("istio", _), (_, .setLogLevel): nil
        default: "\(summary) is an Envoy admin action; \(mesh) proxies only take a log level"
        }
    }

    /// `POST` for Envoy and MOSN, `PUT` for Linkerd's `/proxy-log-level`.
    public var method: String { mesh == "linkerd" ? "PUT" : "POST" }

    /// Path and query of the request.
    public var path: String {
        switch (mesh, kind) {
        case ("linkerd", _): "/proxy-log-level"
        case ("mosn", _): "/api/v1/update_loglevel"
        case let (_, .setLogLevel(level)): "/logging?level=\(level)"
        case (_, .failHealthCheck): "/healthcheck/fail"
        case (_, .restoreHealthCheck): "/healthcheck/ok"
        case (_, .resetCounters): "/reset_counters"
        }
    }

    /// The level in the proxy's own vocabulary (Envoy's names are what the console offers).
    public var meshLevel: String? {
        guard case let .setLogLevel(level) = kind else { return nil }
        switch mesh {
        case "linkerd": return ["warning": "warn", "critical": "error"][level] ?? level
        case "mosn": return (["warning": "WARN", "critical": "FATAL", "off": "FATAL"][level] ?? level).uppercased()
        default: return level
        }
    }

    /// The request body: Linkerd's tracing filter, or MOSN's `{log_path, log_level}` for the
    /// logger at `logPath` (MOSN changes one logger per request).
    public func body(logPath: String? = nil) -> String? {
        guard let level = meshLevel else { return nil }
        switch mesh {
        case "linkerd": return "\(level),linkerd=\(level)"
        case "mosn":
            let path = (logPath ?? "stdout").replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "{\"log_path\": \"\(path)\", \"log_level\": \"\(level)\"}"
        default: return nil
        }
    }

    /// The question of the confirmation dialog: it names the target.
    public var question: String {
        switch kind {
        case let .setLogLevel(level): "Set the log level of \(proxyID) to \(level)?"
        case .failHealthCheck: "Fail the health check of \(proxyID) (drain it: no new traffic)?"
        case .restoreHealthCheck: "Restore the health check of \(proxyID) (back in rotation)?"
        case .resetCounters: "Reset the counters of \(proxyID) (its rates restart)?"
        }
    }

    /// A short description for events and toasts.
    public var summary: String {
        switch kind {
        case let .setLogLevel(level): "log level → \(level)"
        case .failHealthCheck: "health check failed (drain)"
        case .restoreHealthCheck: "health check restored"
        case .resetCounters: "counters reset"
        }
    }
}
