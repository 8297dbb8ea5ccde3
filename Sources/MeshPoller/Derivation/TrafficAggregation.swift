import Foundation
import MeshSources
import MeshModel

/// Sums per-series increases into per-service and per-edge RED metrics.
struct TrafficAggregation {
    struct Accumulator {
        var requests = 0.0, serverErrors = 0.0, clientErrors = 0.0, rate = 0.0
        /// Duration bucket increases: of packed histograms, per bound set (`SeriesIndex` ids;
        /// nearly always one), summed slot by slot…
        var histograms: [Int32: [Double]] = [:]
        /// …and by bound, for rates from Prometheus.
        var buckets: [Double: Double] = [:]
        var byVersion: [String: Double] = [:]
        var mutualTLS = 0.0

        mutating func add(_ keys: SeriesKeys, count: Double, seconds: Double) {
            requests += count
            rate += seconds > 0 ? count / seconds : 0
            if keys.serverError { serverErrors += count }
            if keys.clientError { clientErrors += count }
            byVersion[keys.version, default: 0] += count
            if keys.mutualTLS { mutualTLS += count }
        }

        mutating func add(buckets increase: [Double: Double]) {
            for (bound, count) in increase { buckets[bound, default: 0] += count }
        }

        func metrics(boundSets: [[Double]]) -> TrafficMetrics {
            guard requests > 0 else { return TrafficMetrics(rps: 0) }
            var merged = buckets
            for (set, counts) in histograms {
                for (bound, count) in zip(boundSets[Int(set)], counts) { merged[bound, default: 0] += count }
            }
            return TrafficMetrics(
                rps: rate, successRate: 1 - serverErrors / requests, serverErrorRate: serverErrors / requests,
                clientErrorRate: clientErrors / requests,
                latencyMs: LatencyQuantiles(p50: HistogramQuantile.estimate(0.5, buckets: merged),
                                            p95: HistogramQuantile.estimate(0.95, buckets: merged),
                                            p99: HistogramQuantile.estimate(0.99, buckets: merged)))
        }
    }

    /// `namespace/service` → metrics from reporter="destination" (falling back to "source" for
    /// services without a sidecar of their own).
    var services: [String: Accumulator] = [:]
    private var servicesFromSource: [String: Accumulator] = [:]
    /// `source → destination` (both `namespace/service`) → metrics from reporter="source".
    var edges: [String: (source: String, destination: String, accumulator: Accumulator)] = [:]
    /// The same from reporter="destination", for callers with no proxy of their own to report
    /// (an ambient pod calling a sidecar): Istio's destination labels name the caller. Used
    /// only where no source reported the edge.
    private var edgesFromDestination: [String: (source: String, destination: String, accumulator: Accumulator)] = [:]
    private var destinationEdgeOrigins: [String: MeshKind] = [:]
    private var edgeTLS: [String: Double] = [:]
    /// Where each service's and edge's numbers came from (the reporting side's mesh and source).
    private var serviceOrigins: [String: MeshKind] = [:]
    private var sourceReportedOrigins: [String: MeshKind] = [:]
    private var edgeOrigins: [String: MeshKind] = [:]

    /// The bound sets packed histograms refer to: the deriver's index as of the last `add`
    /// (it only grows during a round; it is compacted after the round's metrics are read).
    private(set) var boundSets: [[Double]] = []

    /// Counter increases between two polls of one proxy, walking both packed samples once (their
    /// series are in id order). A counter that went down was reset, so its whole current value
    /// counts, as Prometheus's `increase` does; a histogram with any bucket that went down
    /// counts whole. Duration buckets count only for series with a request counter.
    mutating func add(current: PackedCounters, previous: PackedCounters, index: SeriesIndex, origin: MeshKind) {
        let seconds = current.at.timeIntervalSince(previous.at)
        guard seconds > 0 else { return }
        let keys = index.keys
        boundSets = index.boundSets
        var before = 0, histogram = 0, histogramOffset = 0, earlier = 0, earlierOffset = 0
        for (position, id) in current.requestSeries.enumerated() {
            while before < previous.requestSeries.count, previous.requestSeries[before] < id { before += 1 }
            let value = current.requestValues[position]
            let old = before < previous.requestSeries.count && previous.requestSeries[before] == id ? previous.requestValues[before] : 0
            let seriesKeys = keys[Int(id)]
            add(seriesKeys, count: value >= old ? value - old : value, seconds: seconds, origin: origin)

            while histogram < current.bucketSeries.count, current.bucketSeries[histogram] < id {
                histogramOffset += Int(current.bucketStored[histogram])
                histogram += 1
            }
            guard histogram < current.bucketSeries.count, current.bucketSeries[histogram] == id else { continue }
            while earlier < previous.bucketSeries.count, previous.bucketSeries[earlier] < id {
                earlierOffset += Int(previous.bucketStored[earlier])
                earlier += 1
            }
            let set = current.bucketBounds[histogram]
            let slots = boundSets[Int(set)].count
            let hasEarlier = earlier < previous.bucketSeries.count && previous.bucketSeries[earlier] == id
            if hasEarlier, previous.bucketBounds[earlier] != set {
                // The bounds changed (a proxy restarted with other buckets): compared by bound.
                let now = Dictionary(uniqueKeysWithValues: (0..<slots).map { (boundSets[Int(set)][$0], current.bucketCount(histogram, offset: histogramOffset, slot: $0)) })
                let earlierSet = boundSets[Int(previous.bucketBounds[earlier])]
                let then = Dictionary(uniqueKeysWithValues: earlierSet.indices.map { (earlierSet[$0], previous.bucketCount(earlier, offset: earlierOffset, slot: $0)) })
                let reset = now.contains { bound, value in value < (then[bound] ?? 0) }
                add(seriesKeys, buckets: now.reduce(into: [:]) { out, pair in out[pair.key] = reset ? pair.value : pair.value - (then[pair.key] ?? 0) })
                continue
            }
            func earlierCount(_ slot: Int) -> Double { hasEarlier ? previous.bucketCount(earlier, offset: earlierOffset, slot: slot) : 0 }
            let reset = (0..<slots).contains { current.bucketCount(histogram, offset: histogramOffset, slot: $0) < earlierCount($0) }
            add(seriesKeys, histogram: set, slots: slots) { slot in
                let count = current.bucketCount(histogram, offset: histogramOffset, slot: slot)
                return reset ? count : count - earlierCount(slot)
            }
        }
    }

    /// Rates as Prometheus computed them (`rate(…[window])`): a rate is a count over one second,
    /// and bucket rates give the same quantiles as bucket increases.
    mutating func add(rates: [RequestSeries: Double], buckets: [RequestSeries: [Double: Double]], origin: MeshKind) {
        for (series, rate) in rates { add(SeriesKeys(series), count: rate, seconds: 1, origin: origin) }
        for (series, bucketRates) in buckets { add(SeriesKeys(series), buckets: bucketRates) }
    }

    private mutating func add(_ keys: SeriesKeys, count: Double, seconds: Double, origin: MeshKind) {
        switch keys.reporter {
        case .destination:
            services[keys.destination, default: Accumulator()].add(keys, count: count, seconds: seconds)
            serviceOrigins[keys.destination] = origin
            if keys.mutualTLS { edgeTLS[keys.edge, default: 0] += count }
            if Self.namesCaller(keys, origin: origin) {
                edgesFromDestination[keys.edge, default: (keys.source, keys.destination, Accumulator())].accumulator.add(keys, count: count, seconds: seconds)
                destinationEdgeOrigins[keys.edge] = origin
            }
        case .source:
            servicesFromSource[keys.destination, default: Accumulator()].add(keys, count: count, seconds: seconds)
            sourceReportedOrigins[keys.destination] = sourceReportedOrigins[keys.destination] ?? origin
            edges[keys.edge, default: (keys.source, keys.destination, Accumulator())].accumulator.add(keys, count: count, seconds: seconds)
            edgeOrigins[keys.edge] = origin
        case .other:
            break
        }
    }

    /// Duration buckets of one series, by bound.
    private mutating func add(_ keys: SeriesKeys, buckets increase: [Double: Double]) {
        withBucketAccumulators(keys) { $0.add(buckets: increase) }
    }

    /// A packed histogram's increase (`increase(slot)` for each of its `slots`), summed per bound set.
    private mutating func add(_ keys: SeriesKeys, histogram set: Int32, slots: Int, _ increase: (Int) -> Double) {
        withBucketAccumulators(keys) { accumulator in
            var counts = accumulator.histograms.removeValue(forKey: set) ?? Array(repeating: 0, count: slots)
            for slot in 0..<slots { counts[slot] += increase(slot) }
            accumulator.histograms[set] = counts
        }
    }

    /// The accumulators a series' duration buckets go into: the service its reporter speaks for,
    /// and for a source-reported series its edge too.
    private mutating func withBucketAccumulators(_ keys: SeriesKeys, _ body: (inout Accumulator) -> Void) {
        switch keys.reporter {
        case .destination:
            body(&services[keys.destination, default: Accumulator()])
            if edgesFromDestination[keys.edge] != nil { body(&edgesFromDestination[keys.edge]!.accumulator) }
        case .source:
            body(&servicesFromSource[keys.destination, default: Accumulator()])
            body(&edges[keys.edge, default: (keys.source, keys.destination, Accumulator())].accumulator)
        case .other:
            break
        }
    }

    /// Service metrics, preferring what the destinations reported.
    func serviceMetrics(_ key: String) -> TrafficMetrics? {
        (services[key] ?? servicesFromSource[key])?.metrics(boundSets: boundSets)
    }

    /// The mesh and source a service's metrics came from.
    func serviceOrigin(_ key: String) -> MeshKind? {
        services[key] != nil ? serviceOrigins[key] : sourceReportedOrigins[key]
    }

    /// Every service with traffic, known to the control plane or not (`namespace/name`).
    var serviceKeys: Set<String> { Set(services.keys).union(servicesFromSource.keys) }

    /// Whether a destination-reported series names its caller well enough to be an edge: Istio's
    /// labels do (from peer metadata); a Linkerd or plain Envoy's inbound side does not.
    static func namesCaller(_ keys: SeriesKeys, origin: MeshKind) -> Bool {
        (origin == .istioEnvoy || origin == .istioPrometheus) && !keys.source.hasSuffix("/unknown") && !keys.source.hasPrefix("unknown/")
    }

    func edgeList() -> [Edge] {
        var all = edges
        for (key, edge) in edgesFromDestination where all[key] == nil { all[key] = edge }
        return all.values.sorted { ($0.source, $0.destination) < ($1.source, $1.destination) }.map { edge in
            let key = "\(edge.source)->\(edge.destination)"
            let total = edge.accumulator.requests
            let shares = total > 0 ? edge.accumulator.byVersion.mapValues { $0 / total } : [:]
            return Edge(source: edge.source, destination: edge.destination, protocol: "http",
                        // The destination reports mTLS (Istio's connection_security_policy); an
                        // Envoy without Istio says it on its client side (TLS handshakes).
                        mtls: (edgeTLS[key] ?? 0) > 0 || edge.accumulator.mutualTLS > 0,
                        traffic: edge.accumulator.metrics(boundSets: boundSets), versionShare: shares, origin: edgeOrigins[key] ?? destinationEdgeOrigins[key])
        }
    }
}
