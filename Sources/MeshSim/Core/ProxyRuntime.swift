import Foundation

/// Nonces and error of one xDS type on one proxy, as istiod tracks them.
public struct XDSTypeState: Sendable, Equatable {
    public var sent: String = ""
    public var acked: String = ""
    public var sentTime: Date?
    public var lastError: String?
}

/// The changing state of one simulated proxy.
public struct ProxyRuntime: Sendable {
    /// False while a `proxy-down` scenario holds it: no admin API, unknown to istiod.
    public var present = true
    /// Set by `POST /healthcheck/fail`, cleared by `/healthcheck/ok`: the server is DRAINING.
    public var healthCheckFailed = false
    /// Logger name → level, changed by `POST /logging`.
    public var loggers: [String: String]
    /// The routing revision this proxy has applied (stale proxies lag behind).
    public var appliedRevision = 1
    /// Does not acknowledge new pushes (scenario or `--stale`).
    public var refusesPushes = false
    /// Types whose pushes this proxy never got (`--not-sent`).
    public var neverSent: Set<String> = []
    /// NACK detail when the proxy rejected its last CDS push (`--xds-error`).
    public var rejection: String?
    public var xds: [String: XDSTypeState] = [:]
    public var startedAt: Date
    public var leaf: IssuedCertificate?
    /// Rotation is held back (an expiring/expired certificate scenario).
    public var rotationStalled = false
    /// Counter values at the last `POST /reset_counters` (or restart), by flow index.
    public var counterBaseline: [Int: FlowCounters] = [:]
    public var resetCount = 0

    /// Envoy's loggers, all at `warning` as Istio starts them.
    static let defaultLoggers = [
        "admin", "aws", "assert", "backtrace", "client", "config", "connection", "conn_handler", "dns", "dubbo",
        "envoy_bug", "ext_authz", "file", "filter", "forward_proxy", "grpc", "hc", "health_checker", "http",
        "http2", "hystrix", "init", "io", "jwt", "kafka", "lua", "main", "misc", "mongo", "quic", "pool",
        "rbac", "redis", "router", "runtime", "stats", "secret", "tap", "testing", "thrift", "tracing",
        "upstream", "udp", "wasm",
    ]

    init(startedAt: Date) {
        self.startedAt = startedAt
        loggers = Dictionary(uniqueKeysWithValues: Self.defaultLoggers.map { ($0, "warning") })
    }

    /// Envoy's server state: DRAINING once health checks are failed, otherwise LIVE.
    public var serverState: String { healthCheckFailed ? "DRAINING" : "LIVE" }
}
