import Foundation
import MeshModel

/// Sums per-series increases into per-service and per-edge RED metrics.
struct TrafficAggregation {
    struct Accumulator {
        var requests = 0.0, serverErrors = 0.0, clientErrors = 0.0, rate = 0.0
        var buckets: [Double: Double] = [:]
        var byVersion: [String: Double] = [:]
        var mutualTLS = 0.0

        mutating func add(_ series: IstioSeries, count: Double, seconds: Double) {
            requests += count
            rate += seconds > 0 ? count / seconds : 0
            if series.isServerError { serverErrors += count }
            if series.isClientError { clientErrors += count }
            byVersion[series.destinationVersion, default: 0] += count
            if series.mutualTLS { mutualTLS += count }
        }

        mutating func add(buckets increase: [Double: Double]) {
            for (bound, count) in increase { buckets[bound, default: 0] += count }
        }

        var metrics: TrafficMetrics {
            guard requests > 0 else { return TrafficMetrics(rps: 0) }
            return TrafficMetrics(
                rps: rate, successRate: 1 - serverErrors / requests, serverErrorRate: serverErrors / requests,
                clientErrorRate: clientErrors / requests,
                latencyMs: LatencyQuantiles(p50: HistogramQuantile.estimate(0.5, buckets: buckets),
                                            p95: HistogramQuantile.estimate(0.95, buckets: buckets),
                                            p99: HistogramQuantile.estimate(0.99, buckets: buckets)))
        }
    }

    /// `namespace/service` → metrics from reporter="destination" (falling back to "source" for
    /// services without a sidecar of their own).
    var services: [String: Accumulator] = [:]
    private var servicesFromSource: [String: Accumulator] = [:]
    /// `source → destination` (both `namespace/service`) → metrics from reporter="source".
    var edges: [String: (source: String, destination: String, accumulator: Accumulator)] = [:]
    private var edgeTLS: [String: Double] = [:]

    mutating func add(current: IstioCounters, previous: IstioCounters) {
        let seconds = current.at.timeIntervalSince(previous.at)
        guard seconds > 0 else { return }
        let (requests, buckets) = current.increase(since: previous)
        for (series, count) in requests {
            let destination = "\(series.destinationNamespace)/\(series.destinationService)"
            let source = "\(series.sourceNamespace)/\(series.sourceService)"
            let edgeKey = "\(source)->\(destination)"
            if series.reporter == "destination" {
                services[destination, default: Accumulator()].add(series, count: count, seconds: seconds)
                services[destination]?.add(buckets: buckets[series] ?? [:])
                if series.mutualTLS { edgeTLS[edgeKey, default: 0] += count }
            } else if series.reporter == "source" || series.reporter == "waypoint" {
                servicesFromSource[destination, default: Accumulator()].add(series, count: count, seconds: seconds)
                servicesFromSource[destination]?.add(buckets: buckets[series] ?? [:])
                var edge = edges[edgeKey] ?? (source, destination, Accumulator())
                edge.accumulator.add(series, count: count, seconds: seconds)
                edge.accumulator.add(buckets: buckets[series] ?? [:])
                edges[edgeKey] = edge
            }
        }
    }

    /// Service metrics, preferring what the destinations reported.
    func serviceMetrics(_ key: String) -> TrafficMetrics? {
        (services[key] ?? servicesFromSource[key])?.metrics
    }

    func edgeList() -> [Edge] {
        edges.values.sorted { ($0.source, $0.destination) < ($1.source, $1.destination) }.map { edge in
            let total = edge.accumulator.requests
            let shares = total > 0 ? edge.accumulator.byVersion.mapValues { $0 / total } : [:]
            return Edge(source: edge.source, destination: edge.destination, protocol: "http",
                        mtls: (edgeTLS["\(edge.source)->\(edge.destination)"] ?? 0) > 0,
                        traffic: edge.accumulator.metrics, versionShare: shares)
        }
    }
}
