import Foundation
import MeshModel

/// Sums per-series increases into per-service and per-edge RED metrics.
struct TrafficAggregation {
    struct Accumulator {
        var requests = 0.0, serverErrors = 0.0, clientErrors = 0.0, rate = 0.0
        var buckets: [Double: Double] = [:]
        var byVersion: [String: Double] = [:]
        var mutualTLS = 0.0

        mutating func add(_ series: RequestSeries, count: Double, seconds: Double) {
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
    /// Where each service's and edge's numbers came from (the reporting side's mesh and source).
    private var serviceOrigins: [String: Origin] = [:]
    private var sourceReportedOrigins: [String: Origin] = [:]
    private var edgeOrigins: [String: Origin] = [:]

    /// Counter increases between two polls of one proxy.
    mutating func add(current: RequestCounters, previous: RequestCounters, origin: Origin) {
        let seconds = current.at.timeIntervalSince(previous.at)
        guard seconds > 0 else { return }
        let (requests, buckets) = current.increase(since: previous)
        for (series, count) in requests {
            add(series, count: count, seconds: seconds, origin: origin)
            if let increase = buckets[series] { add(series, buckets: increase) }
        }
    }

    /// Rates as Prometheus computed them (`rate(…[window])`): a rate is a count over one second,
    /// and bucket rates give the same quantiles as bucket increases.
    mutating func add(rates: [RequestSeries: Double], buckets: [RequestSeries: [Double: Double]], origin: Origin) {
        for (series, rate) in rates { add(series, count: rate, seconds: 1, origin: origin) }
        for (series, bucketRates) in buckets { add(series, buckets: bucketRates) }
    }

    private mutating func add(_ series: RequestSeries, count: Double, seconds: Double, origin: Origin) {
        let destination = "\(series.destinationNamespace)/\(series.destinationService)"
        let source = "\(series.sourceNamespace)/\(series.sourceService)"
        let edgeKey = "\(source)->\(destination)"
        if series.reporter == "destination" {
            services[destination, default: Accumulator()].add(series, count: count, seconds: seconds)
            serviceOrigins[destination] = origin
            if series.mutualTLS { edgeTLS[edgeKey, default: 0] += count }
        } else if series.reporter == "source" || series.reporter == "waypoint" {
            servicesFromSource[destination, default: Accumulator()].add(series, count: count, seconds: seconds)
            sourceReportedOrigins[destination] = sourceReportedOrigins[destination] ?? origin
            var edge = edges[edgeKey] ?? (source, destination, Accumulator())
            edge.accumulator.add(series, count: count, seconds: seconds)
            edges[edgeKey] = edge
            edgeOrigins[edgeKey] = origin
        }
    }

    /// Duration buckets of one series, into the service (and edge) its reporter speaks for.
    private mutating func add(_ series: RequestSeries, buckets increase: [Double: Double]) {
        let destination = "\(series.destinationNamespace)/\(series.destinationService)"
        if series.reporter == "destination" {
            services[destination, default: Accumulator()].add(buckets: increase)
        } else if series.reporter == "source" || series.reporter == "waypoint" {
            servicesFromSource[destination, default: Accumulator()].add(buckets: increase)
            let edgeKey = "\(series.sourceNamespace)/\(series.sourceService)->\(destination)"
            if edges[edgeKey] == nil { edges[edgeKey] = ("\(series.sourceNamespace)/\(series.sourceService)", destination, Accumulator()) }
            edges[edgeKey]?.accumulator.add(buckets: increase)
        }
    }

    /// Service metrics, preferring what the destinations reported.
    func serviceMetrics(_ key: String) -> TrafficMetrics? {
        (services[key] ?? servicesFromSource[key])?.metrics
    }

    /// The mesh and source a service's metrics came from.
    func serviceOrigin(_ key: String) -> Origin? {
        services[key] != nil ? serviceOrigins[key] : sourceReportedOrigins[key]
    }

    /// Every service with traffic, known to the control plane or not (`namespace/name`).
    var serviceKeys: Set<String> { Set(services.keys).union(servicesFromSource.keys) }

    func edgeList() -> [Edge] {
        edges.values.sorted { ($0.source, $0.destination) < ($1.source, $1.destination) }.map { edge in
            let key = "\(edge.source)->\(edge.destination)"
            let total = edge.accumulator.requests
            let shares = total > 0 ? edge.accumulator.byVersion.mapValues { $0 / total } : [:]
            return Edge(source: edge.source, destination: edge.destination, protocol: "http",
                        mtls: (edgeTLS[key] ?? 0) > 0,
                        traffic: edge.accumulator.metrics, versionShare: shares, origin: edgeOrigins[key])
        }
    }
}
