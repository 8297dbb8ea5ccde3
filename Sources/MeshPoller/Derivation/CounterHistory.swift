import Foundation
import MeshSources

/// Past request counters per proxy, kept for rate and health baselines, packed: series and
/// bucket bounds become small integers shared by every proxy and poll, and a kept sample is
/// a few flat arrays. A `RequestCounters` spends a dictionary entry of ~180 bytes per series
/// and a dictionary per histogram; with ~12 kept samples per proxy that history was the
/// poller's largest live data at 1,000 proxies and more (`meshtop-bench poll`).
struct CounterHistory: Sendable {
    /// Ids are stable until `compactIndexIfNeeded` (called once a round is derived).
    private(set) var index = SeriesIndex()
    private var byProxy: [String: [PackedCounters]] = [:]
    /// Series in the index when it was last rebuilt; past twice that (pods come and go, and
    /// their series with them) the index is rebuilt from what is still kept.
    private var indexedAtRebuild = 0

    /// The samples kept for `proxy`, oldest first.
    func samples(_ proxy: String) -> [PackedCounters] { byProxy[proxy] ?? [] }

    func unpack(_ packed: PackedCounters) -> RequestCounters { packed.unpacked(index) }

    /// `counters` over this history's index.
    mutating func pack(_ counters: RequestCounters) -> PackedCounters { PackedCounters(counters, index: &index) }

    /// Replaces `proxy`'s kept samples; `newest`, if given, is appended first.
    mutating func keep(_ samples: [PackedCounters], appending newest: PackedCounters?, for proxy: String,
                       thinnedBy thin: ([PackedCounters]) -> [PackedCounters]) {
        var samples = samples
        if let newest { samples.append(newest) }
        byProxy[proxy] = thin(samples)
    }

    /// Rebuilds the index when it holds more than twice the series it held at the last rebuild
    /// (pods come and go, and their series with them). Changes every id.
    mutating func compactIndexIfNeeded() {
        if index.count > max(4096, 2 * indexedAtRebuild) { rebuildIndex() }
    }

    /// Drops series no kept sample uses any more.
    private mutating func rebuildIndex() {
        var fresh = SeriesIndex()
        byProxy = byProxy.mapValues { samples in samples.map { PackedCounters($0.unpacked(index), index: &fresh) } }
        index = fresh
        indexedAtRebuild = fresh.count
    }

    /// Series the index holds (tests check it is rebuilt).
    var seriesIndexed: Int { index.count }
}

/// Request series and bucket-bound sets ↔ dense integers.
struct SeriesIndex: Sendable {
    private(set) var series: [RequestSeries] = []
    /// Per series, what aggregation files it under (built once, not per poll).
    private(set) var keys: [SeriesKeys] = []
    private var ids: [RequestSeries: Int32] = [:]
    private(set) var boundSets: [[Double]] = []
    private var boundSetIDs: [[Double]: Int32] = [:]

    var count: Int { series.count }

    mutating func id(_ value: RequestSeries) -> Int32 {
        if let id = ids[value] { return id }
        let id = Int32(series.count)
        series.append(value)
        keys.append(SeriesKeys(value))
        ids[value] = id
        return id
    }

    mutating func id(bounds: [Double]) -> Int32 {
        if let id = boundSetIDs[bounds] { return id }
        let id = Int32(boundSets.count)
        boundSets.append(bounds)
        boundSetIDs[bounds] = id
        return id
    }
}

/// One `RequestCounters` as flat arrays over a `SeriesIndex`. A histogram's cumulative counts
/// are zero up to the first bucket a request fell in and equal to the total from the slowest
/// request's bucket on, so only the counts in between are stored (exactly: the zeros and the
/// repeats are compared, not assumed): typically 6–8 of Istio's 20 buckets.
struct PackedCounters: Sendable, Timestamped {
    var at: Date
    var requestSeries: [Int32] = []
    var requestValues: [Double] = []
    var bucketSeries: [Int32] = []
    /// Per bucketed series, the index of its sorted bounds.
    var bucketBounds: [Int32] = []
    /// Per bucketed series: how many leading buckets are 0, and how many counts follow in
    /// `bucketCounts`; the buckets after those repeat the last count stored.
    var bucketZeros: [Int32] = []
    var bucketStored: [Int32] = []
    var bucketCounts: [Double] = []

    /// Series are stored in id order, so two samples are compared by walking both once.
    init(_ counters: RequestCounters, index: inout SeriesIndex) {
        at = counters.at
        let requests = counters.requests.map { (index.id($0.key), $0.value) }.sorted { $0.0 < $1.0 }
        requestSeries = requests.map(\.0)
        requestValues = requests.map(\.1)
        let histograms = counters.durationBuckets.map { (index.id($0.key), $0.value) }.sorted { $0.0 < $1.0 }
        for (id, buckets) in histograms {
            let bounds = buckets.keys.sorted()
            let counts = bounds.map { buckets[$0]! }
            let zeros = counts.prefix { $0 == 0 }.count
            var end = counts.count
            if let last = counts.last { while end - 1 > zeros, counts[end - 2] == last { end -= 1 } }
            bucketSeries.append(id)
            bucketBounds.append(index.id(bounds: bounds))
            bucketZeros.append(Int32(zeros))
            bucketStored.append(Int32(end - zeros))
            bucketCounts.append(contentsOf: counts[zeros..<end])
        }
    }

    func unpacked(_ index: SeriesIndex) -> RequestCounters {
        var counters = RequestCounters(at: at)
        counters.requests.reserveCapacity(requestSeries.count)
        for (id, value) in zip(requestSeries, requestValues) { counters.requests[index.series[Int(id)]] = value }
        var offset = 0
        for position in bucketSeries.indices {
            let bounds = index.boundSets[Int(bucketBounds[position])]
            let zeros = Int(bucketZeros[position]), stored = Int(bucketStored[position])
            let last = stored > 0 ? bucketCounts[offset + stored - 1] : 0
            var buckets: [Double: Double] = [:]
            buckets.reserveCapacity(bounds.count)
            for (slot, bound) in bounds.enumerated() {
                buckets[bound] = slot < zeros ? 0 : slot < zeros + stored ? bucketCounts[offset + slot - zeros] : last
            }
            offset += stored
            counters.durationBuckets[index.series[Int(bucketSeries[position])]] = buckets
        }
        return counters
    }
}

extension PackedCounters {
    /// The cumulative count of bucket `slot` of the histogram at `position`, whose counts start
    /// at `offset` in `bucketCounts`.
    func bucketCount(_ position: Int, offset: Int, slot: Int) -> Double {
        let zeros = Int(bucketZeros[position]), stored = Int(bucketStored[position])
        if slot < zeros { return 0 }
        if slot < zeros + stored { return bucketCounts[offset + slot - zeros] }
        return stored > 0 ? bucketCounts[offset + stored - 1] : 0
    }
}

/// What aggregation needs of a series, worked out once when the series is first indexed:
/// the `namespace/service` keys it is filed under and its error class.
struct SeriesKeys: Sendable {
    enum Reporter { case destination, source, other }
    var reporter: Reporter
    var destination: String, source: String, edge: String
    var version: String
    var serverError: Bool, clientError: Bool, mutualTLS: Bool

    init(_ series: RequestSeries) {
        reporter = series.reporter == "destination" ? .destination
            : series.reporter == "source" || series.reporter == "waypoint" ? .source : .other
        destination = "\(series.destinationNamespace)/\(series.destinationService)"
        source = "\(series.sourceNamespace)/\(series.sourceService)"
        edge = "\(source)->\(destination)"
        version = series.destinationVersion
        serverError = series.isServerError
        clientError = series.isClientError
        mutualTLS = series.mutualTLS
    }
}

/// Anything stamped with the time it was read (baselines are chosen by it).
protocol Timestamped { var at: Date { get } }

extension RequestCounters: Timestamped {}
