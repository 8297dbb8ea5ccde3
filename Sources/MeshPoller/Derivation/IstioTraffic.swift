import Foundation
import MeshSources

/// The identity of one Istio standard-metric series, reduced to what meshtop aggregates by.
public struct IstioSeries: Hashable, Sendable {
    public var reporter: String
    public var sourceNamespace: String
    public var sourceService: String
    public var sourceWorkload: String
    public var destinationNamespace: String
    public var destinationService: String
    public var destinationHost: String
    public var destinationWorkload: String
    public var destinationVersion: String
    public var responseCode: String
    public var grpcStatus: String
    public var mutualTLS: Bool

    init(_ sample: Sample) {
        reporter = sample.label("reporter") ?? ""
        sourceNamespace = sample.label("source_workload_namespace") ?? "unknown"
        sourceService = sample.label("source_canonical_service") ?? sample.label("source_app") ?? "unknown"
        sourceWorkload = sample.label("source_workload") ?? "unknown"
        destinationNamespace = sample.label("destination_service_namespace") ?? sample.label("destination_workload_namespace") ?? "unknown"
        destinationService = sample.label("destination_service_name") ?? sample.label("destination_canonical_service") ?? "unknown"
        destinationHost = sample.label("destination_service") ?? ""
        destinationWorkload = sample.label("destination_workload") ?? "unknown"
        destinationVersion = sample.label("destination_version") ?? sample.label("destination_canonical_revision") ?? "unknown"
        responseCode = sample.label("response_code") ?? ""
        grpcStatus = sample.label("grpc_response_status") ?? ""
        mutualTLS = sample.label("connection_security_policy") == "mutual_tls"
    }

    /// An error in Kiali's sense: HTTP 5xx or no response (0), or a gRPC error with an OK HTTP code.
    public var isServerError: Bool {
        if responseCode == "0" || responseCode.hasPrefix("5") || responseCode == "-" { return true }
        if let grpc = Int(grpcStatus), (1...16).contains(grpc), !responseCode.hasPrefix("4") { return true }
        return false
    }

    public var isClientError: Bool { responseCode.hasPrefix("4") }
}

/// One proxy's Istio counters at one instant: request counts and duration buckets per series.
public struct IstioCounters: Sendable {
    public var at: Date
    public var requests: [IstioSeries: Double] = [:]
    /// Per series: upper bound (ms) → cumulative count.
    public var durationBuckets: [IstioSeries: [Double: Double]] = [:]

    public init(at: Date, exposition: Exposition) {
        self.at = at
        for sample in exposition.family("istio_requests_total")?.samples ?? [] {
            requests[IstioSeries(sample), default: 0] += sample.value
        }
        let seconds = exposition.family("istio_request_duration_milliseconds") == nil
        let family = exposition.family("istio_request_duration_milliseconds") ?? exposition.family("istio_request_duration_seconds")
        for sample in family?.samples ?? [] where sample.name.hasSuffix("_bucket") {
            guard let le = sample.label("le").flatMap(Double.init) else { continue }
            let bound = seconds && le.isFinite ? le * 1000 : le
            durationBuckets[IstioSeries(sample), default: [:]][bound, default: 0] += sample.value
        }
    }

    /// Increase since `previous`, per series; a counter that went down was reset, so its whole
    /// current value counts (as Prometheus's `increase` does).
    public func increase(since previous: IstioCounters) -> (requests: [IstioSeries: Double], buckets: [IstioSeries: [Double: Double]]) {
        var requestIncrease: [IstioSeries: Double] = [:]
        for (series, value) in requests {
            let before = previous.requests[series] ?? 0
            requestIncrease[series] = value >= before ? value - before : value
        }
        var bucketIncrease: [IstioSeries: [Double: Double]] = [:]
        for (series, buckets) in durationBuckets {
            let before = previous.durationBuckets[series] ?? [:]
            let reset = buckets.contains { bound, value in value < (before[bound] ?? 0) }
            bucketIncrease[series] = buckets.mapValues { $0 } .reduce(into: [:]) { out, pair in
                out[pair.key] = reset ? pair.value : pair.value - (before[pair.key] ?? 0)
            }
        }
        return (requestIncrease, bucketIncrease)
    }
}

/// Prometheus's `histogram_quantile`: linear interpolation inside the bucket holding the rank;
/// the `+Inf` bucket answers with the highest finite bound.
public enum HistogramQuantile {
    public static func estimate(_ quantile: Double, buckets: [Double: Double]) -> Double? {
        let sorted = buckets.sorted { $0.key < $1.key }
        guard let total = sorted.last?.value, total > 0, sorted.last?.key == .infinity else { return nil }
        let rank = quantile * total
        var lowerBound = 0.0
        var lowerCount = 0.0
        for (index, (bound, count)) in sorted.enumerated() {
            if count >= rank {
                if bound == .infinity { return index > 0 ? sorted[index - 1].key : nil }
                if index == 0, bound <= 0 { return bound }
                let inBucket = count - lowerCount
                guard inBucket > 0 else { return bound }
                return lowerBound + (bound - lowerBound) * (rank - lowerCount) / inBucket
            }
            lowerBound = bound
            lowerCount = count
        }
        return nil
    }
}
