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

    public init(kind: Kind, proxyID: String, adminURL: String) {
        self.kind = kind
        self.proxyID = proxyID
        self.adminURL = adminURL
    }

    /// Path and query sent with POST.
    public var path: String {
        switch kind {
        case let .setLogLevel(level): "/logging?level=\(level)"
        case .failHealthCheck: "/healthcheck/fail"
        case .restoreHealthCheck: "/healthcheck/ok"
        case .resetCounters: "/reset_counters"
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
