import Foundation
import MeshTestSupport
import Testing
import MeshSources
@testable import MeshPoller
@testable import MeshSim

@Suite("Packed counter history")
struct CounterHistoryTests {
    @Test("Packing and unpacking gives back every request count and bucket of a simulated proxy")
    func roundTrip() throws {
        var state = try SimRounds.state()
        state.advance(to: SimRounds.t0.addingTimeInterval(120))
        let round = try SimRounds.round(state, at: 120)
        var index = SeriesIndex()
        var checked = 0
        for observation in round.proxies.values {
            let counters = try #require(observation.counters)
            let back = PackedCounters(counters, index: &index).unpacked(index)
            #expect(back.at == counters.at)
            #expect(back.requests == counters.requests)
            #expect(back.durationBuckets == counters.durationBuckets)
            checked += counters.requests.count
        }
        #expect(checked >= 40, "the simulated Bookinfo proxies carry request series")
    }

    @Test("Histograms keep only the counts between the leading zeros and the repeated total, and unpack exactly",
          arguments: [[0, 0, 3, 5, 5, 5], [0, 0, 0], [7, 7, 7], [1, 2, 3], [0, 4], [2, 0, 0, 2], [0, 1, 1, 0, 1], [Double.infinity, 1, 1]] as [[Double]])
    func histogramRuns(counts: [Double]) {
        var index = SeriesIndex()
        var counters = RequestCounters(at: Date(timeIntervalSince1970: 0))
        let series = RequestSeries(reporter: "destination", sourceNamespace: "a", sourceService: "a", destinationNamespace: "b",
                                   destinationService: "b", responseCode: "200", mutualTLS: false)
        let bounds: [Double] = [1, 5, 10, 25, 50, .infinity]
        counters.durationBuckets[series] = Dictionary(uniqueKeysWithValues: zip(bounds, counts))
        let packed = PackedCounters(counters, index: &index)
        #expect(packed.unpacked(index).durationBuckets == counters.durationBuckets)
        let zeros = counts.prefix { $0 == 0 }.count
        var stored = counts.count - zeros
        while stored > 1, counts[zeros + stored - 2] == counts.last { stored -= 1 }
        #expect(packed.bucketCounts.count == stored, "\(counts) stored as \(packed.bucketCounts)")
    }

    @Test("Series no kept sample uses any more leave the index (pods come and go)")
    func indexIsRebuilt() {
        var history = CounterHistory()
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        // Every poll brings 100 series never seen before, as if every pod were replaced; only the
        // last three samples are kept.
        for poll in 0..<200 {
            var counters = RequestCounters(at: start.addingTimeInterval(Double(poll) * 5))
            for pod in 0..<100 {
                let series = RequestSeries(reporter: "destination", sourceNamespace: "default", sourceService: "a", sourceWorkload: "a-\(poll)-\(pod)",
                                           destinationNamespace: "default", destinationService: "b", responseCode: "200", mutualTLS: true)
                counters.requests[series] = Double(poll)
                counters.durationBuckets[series] = [10: Double(poll), .infinity: Double(poll + 1)]
            }
            let packed = history.pack(counters)
            history.keep(history.samples("p"), appending: packed, for: "p") { Array($0.suffix(3)) }
            history.compactIndexIfNeeded()
        }
        let kept = history.samples("p")
        #expect(kept.count == 3)
        // 20,000 series were seen; the index holds the 300 still kept plus at most what arrived
        // since its last rebuild.
        #expect(history.seriesIndexed <= 4096 + 300, "index holds \(history.seriesIndexed) series")
        let newest = history.unpack(kept.last!)
        #expect(newest.requests.count == 100)
        #expect(newest.requests.keys.allSatisfy { $0.sourceWorkload.hasPrefix("a-199-") })
        #expect(newest.durationBuckets.values.allSatisfy { $0 == [10: 199, .infinity: 200] })
    }
}
