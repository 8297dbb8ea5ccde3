import Foundation

/// Envoy's and Istio's default histogram bucket upper bounds in milliseconds (mesh-apis.md §2.6);
/// a 20th, implicit bucket is `+Inf`.
public let envoyBucketBoundsMs: [Double] = [
    0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000,
    1_800_000, 3_600_000,
]

/// The response codes the traffic model produces, in the order `FlowCounters.byCode` keeps them.
public let simResponseCodes = [200, 404, 500, 503]

/// Request count, latency sum and latency histogram for one response code.
public struct CodeCounters: Sendable, Equatable {
    public var count: Int = 0
    public var sumMs: Double = 0
    /// Per-bucket (not cumulative) counts; the last entry is the `+Inf` overflow bucket.
    public var buckets: [Int] = Array(repeating: 0, count: envoyBucketBoundsMs.count + 1)

    public init() {}

    /// Cumulative counts, as Prometheus `_bucket{le=…}` samples print them.
    public var cumulativeBuckets: [Int] {
        var running = 0
        return buckets.map { running += $0; return running }
    }

    public static func + (lhs: CodeCounters, rhs: CodeCounters) -> CodeCounters {
        var out = lhs
        out.count += rhs.count
        out.sumMs += rhs.sumMs
        for index in out.buckets.indices { out.buckets[index] += rhs.buckets[index] }
        return out
    }

    public static func - (lhs: CodeCounters, rhs: CodeCounters) -> CodeCounters {
        var out = lhs
        out.count -= rhs.count
        out.sumMs -= rhs.sumMs
        for index in out.buckets.indices { out.buckets[index] -= rhs.buckets[index] }
        return out
    }
}

/// All counters of one flow, one entry per `simResponseCodes` code.
public struct FlowCounters: Sendable, Equatable {
    public var byCode: [CodeCounters] = Array(repeating: CodeCounters(), count: simResponseCodes.count)

    public init() {}

    public var total: Int { byCode.reduce(0) { $0 + $1.count } }

    public static func + (lhs: FlowCounters, rhs: FlowCounters) -> FlowCounters {
        var out = lhs
        for index in out.byCode.indices { out.byCode[index] = out.byCode[index] + rhs.byCode[index] }
        return out
    }

    public static func - (lhs: FlowCounters, rhs: FlowCounters) -> FlowCounters {
        var out = lhs
        for index in out.byCode.indices { out.byCode[index] = out.byCode[index] - rhs.byCode[index] }
        return out
    }
}

/// The traffic between one source pod and one destination pod along one service edge. It is the
/// unit every view is summed from, which is what makes `istio_requests_total` (both reporters),
/// Envoy cluster stats and `/clusters` host counters agree exactly.
public struct Flow: Sendable {
    public var edge: Int
    public var sourceProxy: Int
    public var destinationProxy: Int
    /// The outbound cluster the source proxy sends this flow through.
    public var cluster: String
    /// Current requests per second.
    public var rate: Double = 0
    /// Fractional requests carried to the next tick, so counts follow the rate exactly.
    public var carry: Double = 0
    public var counters = FlowCounters()
}

/// Log-normal latency helpers: bucket probabilities and the mean for the `_sum` series.
enum LatencyModel {
    /// Probability of each Envoy bucket (19 bounded + overflow) for a log-normal with the given
    /// median (ms) and shape.
    static func bucketProbabilities(medianMs: Double, sigma: Double) -> [Double] {
        let mu = log(max(medianMs, 0.01))
        var previous = 0.0
        var probabilities: [Double] = []
        for bound in envoyBucketBoundsMs {
            let cdf = 0.5 * (1 + erf((log(bound) - mu) / (sigma * 2.0.squareRoot())))
            probabilities.append(max(0, cdf - previous))
            previous = cdf
        }
        probabilities.append(max(0, 1 - previous))
        return probabilities
    }

    static func meanMs(medianMs: Double, sigma: Double) -> Double { medianMs * exp(sigma * sigma / 2) }

    /// Bounds of bucket `index`; the overflow bucket is taken as [last bound, 1.5 × last bound].
    static func bounds(bucket index: Int) -> (lower: Double, upper: Double) {
        let lower = index == 0 ? 0 : envoyBucketBoundsMs[index - 1]
        let upper = index < envoyBucketBoundsMs.count ? envoyBucketBoundsMs[index] : envoyBucketBoundsMs[envoyBucketBoundsMs.count - 1] * 1.5
        return (lower, upper)
    }

    /// The midpoint of bucket `index`: the mean of a value spread uniformly inside it.
    static func representative(bucket index: Int) -> Double {
        let (lower, upper) = bounds(bucket: index)
        return (lower + upper) / 2
    }

    /// The `q` quantile of a distribution given by bucket probabilities, spread uniformly inside
    /// each bucket — the simulator's latency model, and exactly what `histogram_quantile`
    /// recovers from its buckets.
    public static func quantile(_ q: Double, probabilities: [Double]) -> Double? {
        let total = probabilities.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = q * total
        var seen = 0.0
        for (index, mass) in probabilities.enumerated() where mass > 0 {
            if seen + mass >= rank {
                guard index < envoyBucketBoundsMs.count else { return envoyBucketBoundsMs.last }
                let (lower, upper) = bounds(bucket: index)
                return lower + (upper - lower) * (rank - seen) / mass
            }
            seen += mass
        }
        return envoyBucketBoundsMs.last
    }
}
