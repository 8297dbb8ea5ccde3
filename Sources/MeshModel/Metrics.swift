/// Latency quantiles in milliseconds, as derived from histogram buckets.
public struct LatencyQuantiles: Sendable, Codable, Hashable {
    public var p50: Double?
    public var p95: Double?
    public var p99: Double?

    public init(p50: Double? = nil, p95: Double? = nil, p99: Double? = nil) {
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
    }
}

/// Rate, errors, duration for one service or edge over one polling window.
public struct TrafficMetrics: Sendable, Codable, Hashable {
    /// Requests per second.
    public var rps: Double
    /// Share of requests that succeeded, 0...1; nil when there was no traffic.
    public var successRate: Double?
    /// Share of requests answered 5xx (or no response / gRPC error), 0...1.
    public var serverErrorRate: Double?
    /// Share of requests answered 4xx, 0...1.
    public var clientErrorRate: Double?
    public var latencyMs: LatencyQuantiles

    public init(
        rps: Double = 0, successRate: Double? = nil, serverErrorRate: Double? = nil,
        clientErrorRate: Double? = nil, latencyMs: LatencyQuantiles = LatencyQuantiles()
    ) {
        self.rps = rps
        self.successRate = successRate
        self.serverErrorRate = serverErrorRate
        self.clientErrorRate = clientErrorRate
        self.latencyMs = latencyMs
    }

    /// No traffic at all in the window.
    public var isIdle: Bool { rps == 0 }
}
