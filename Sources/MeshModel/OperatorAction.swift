/// A mutating request an operator can send to one proxy's admin API from the console
/// (product.md §5), always behind a confirmation that names the target, never from the
/// dashboard or under `--readonly`. What it asks for, of whom; the HTTP method, path and body
/// are the admin client's business (MeshSources, one per mesh kind).
public struct OperatorAction: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Envoy: `POST /logging?level=LEVEL`; Linkerd and MOSN have their own.
        case setLogLevel(String)
        /// Envoy: `POST /healthcheck/fail`: the proxy drains (fails its health check).
        case failHealthCheck
        /// Envoy: `POST /healthcheck/ok`: back in rotation.
        case restoreHealthCheck
        /// Envoy: `POST /reset_counters`
        case resetCounters

        /// One of each kind (the log level at `level`), for what must hold for every action.
        public static func every(level: String = "info") -> [Kind] {
            [.setLogLevel(level), .failHealthCheck, .restoreHealthCheck, .resetCounters]
        }
    }

    /// Envoy's log levels, as `/logging` accepts them (what the console offers for every mesh).
    public static let logLevels = ["trace", "debug", "info", "warning", "error", "critical", "off"]

    public var kind: Kind
    public var proxyID: String
    /// The proxy's admin base URL (`http://10.1.2.3:15000`).
    public var adminURL: String
    /// The proxy's kind: it decides the request.
    public var mesh: MeshKind

    public init(kind: Kind, proxyID: String, adminURL: String, mesh: MeshKind = .istioEnvoy) {
        self.kind = kind
        self.proxyID = proxyID
        self.adminURL = adminURL
        self.mesh = mesh
    }

    /// Why this action does not exist for the proxy's mesh, or nil when it does.
    public var unsupportedReason: String? {
        mesh.supports(kind) ? nil : "\(summary) is an Envoy admin action; \(mesh.mesh) proxies only take a log level"
    }

    /// The question of the confirmation dialog: it names the target.
    public var question: String {
        switch kind {
        case let .setLogLevel(level): "Set the log level of \(proxyID) to \(level)?"
        case .failHealthCheck: "Fail the health check of \(proxyID)? Envoy then answers /ready with 503 and reports DRAINING; traffic stops only where a readiness probe or a load balancer acts on it."
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
