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
    /// Connection-level traffic from ambient ztunnels (nil where none measures it).
    public var l4: L4Traffic?

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
    public var isIdle: Bool { rps == 0 && (l4?.connectionsPerSecond ?? 0) == 0 && (l4?.bytesInPerSecond ?? 0) == 0 }
}

/// L4 traffic as ztunnels measure it (`istio_tcp_*`, the destination's reporter only, so a
/// connection is counted once): no requests, codes or latency — bytes and connections.
public struct L4Traffic: Sendable, Codable, Hashable {
    /// Bytes per second from clients to the destination (the request direction).
    public var bytesInPerSecond: Double
    /// Bytes per second from the destination back to clients.
    public var bytesOutPerSecond: Double
    /// Connections opened per second.
    public var connectionsPerSecond: Double
    /// Share of the bytes carried over mutual TLS, 0...1 (nil without traffic).
    public var mtlsShare: Double?

    public init(bytesInPerSecond: Double = 0, bytesOutPerSecond: Double = 0, connectionsPerSecond: Double = 0, mtlsShare: Double? = nil) {
        self.bytesInPerSecond = bytesInPerSecond
        self.bytesOutPerSecond = bytesOutPerSecond
        self.connectionsPerSecond = connectionsPerSecond
        self.mtlsShare = mtlsShare
    }
}

/// Byte counts for people: `740 B`, `29.6 KB`, `1.2 MB` (decimal units, as network rates are read).
public enum ByteCount {
    public static func text(_ bytes: Double) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = bytes, unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return String(format: unit == 0 ? "%.0f %@" : "%.1f %@", value, units[unit])
    }
}
