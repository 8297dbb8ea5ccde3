import Foundation
import MeshTestSupport
import Testing
@testable import MeshPoller
@testable import MeshSim
@testable import MeshSources

/// The fast Istio stats scanner must read exactly what the generic parser reads.
@Suite("Istio stats scanner", .cpuHeavy)
struct StatsScannerTests {
    @Test("Same counters as the generic parser on every proxy of a generated mesh (both reporters, buckets)")
    func agreesWithParser() throws {
        var state = try SimRounds.state { $0.services = 40 }
        state.advance(to: SimRounds.t0.addingTimeInterval(90))
        var scanner = IstioStatsScanner()
        let at = Date()
        for proxy in state.topology.proxies {
            let body = Array(EnvoyStatsRenderer.prometheus(ProxyContext(state: state, proxy: proxy.index, now: at)).utf8)
            let fast = try scanner.counters(at: at, body: body)
            let generic = RequestCounters(at: at, exposition: try ExpositionParser.parse(body, format: .prometheus))
            #expect(!fast.requests.isEmpty && fast.requests == generic.requests, "\(proxy.id)")
            #expect(fast.durationBuckets == generic.durationBuckets, "\(proxy.id)")
        }
    }

    @Test("Bucket lines read by their shared prefix: `le` not last, series interleaved, labels that differ after the prefix")
    func bucketPrefixes() throws {
        let lines = #"""
            # TYPE istio_request_duration_milliseconds histogram
            istio_request_duration_milliseconds_bucket{reporter="source",destination_service_name="a",response_code="200",le="5"} 1
            istio_request_duration_milliseconds_bucket{reporter="source",destination_service_name="a",response_code="200",le="10"} 3
            istio_request_duration_milliseconds_bucket{reporter="source",destination_service_name="a",response_code="200",le="+Inf"} 4
            istio_request_duration_milliseconds_bucket{reporter="source",destination_service_name="a",response_code="503",le="5"} 0
            istio_request_duration_milliseconds_bucket{reporter="source",destination_service_name="a",response_code="503",le="+Inf"} 2
            istio_request_duration_milliseconds_bucket{reporter="source",destination_service_name="a",response_code="200",le="5"} 10
            istio_request_duration_milliseconds_bucket{reporter="source",destination_service_name="a",response_code="200",le="+Inf"} 20
            istio_request_duration_milliseconds_bucket{reporter="source",le="5",destination_service_name="b",response_code="200"} 7
            istio_request_duration_milliseconds_bucket{reporter="source",le="+Inf",destination_service_name="b",response_code="200"} 8
            istio_request_duration_milliseconds_bucket{reporter="source",destination_service_name="c",response_code="200",le="5"} 5
            istio_request_duration_milliseconds_bucket{reporter="source",destination_service_name="c",response_code="200",le="+Inf"} 6 1700000000000
            # TYPE istio_requests_total counter
            istio_requests_total{reporter="source",destination_service_name="a",response_code="200"} 24

            """#
        var scanner = IstioStatsScanner()
        let body = Array(lines.utf8)
        let fast = try scanner.counters(at: Date(), body: body)
        let generic = RequestCounters(at: Date(), exposition: try ExpositionParser.parse(body, format: .prometheus))
        #expect(fast.durationBuckets == generic.durationBuckets)
        #expect(fast.durationBuckets.count == 4)
        let a200 = fast.durationBuckets.first { $0.key.destinationService == "a" && $0.key.responseCode == "200" }?.value
        #expect(a200 == [5: 11, 10: 3, .infinity: 24], "the series met twice is summed")
        #expect(fast.durationBuckets.first { $0.key.destinationService == "c" }?.value == [5: 5, .infinity: 6])
        // A bucket line whose `le` is followed by another label after a matching prefix is
        // read by the generic parser (no guessing).
        let firstLines = lines.split(separator: "\n").prefix(3).joined(separator: "\n")
        #expect(scanner.lastServerState == nil, "no server.state gauge in that body")
        _ = try scanner.counters(at: Date(), body: Array((lines + "# TYPE envoy_server_state gauge\nenvoy_server_state{} 1\n").utf8))
        #expect(scanner.lastServerState == 1)
        _ = try scanner.counters(at: Date(), body: Array("envoy_server_state 0\n".utf8))
        #expect(scanner.lastServerState == 0)
        // Through the generic parser (an escaped label sends the whole body there).
        _ = try scanner.counters(at: Date(), body: Array((#"istio_requests_total{reporter="a\"b"} 1"# + "\nenvoy_server_state{} 3\n").utf8))
        #expect(scanner.lastServerState == 3)
        let odd = Array((firstLines + "\n" + #"istio_request_duration_milliseconds_bucket{reporter="source",destination_service_name="a",response_code="200",le="5",x="y"} 1"# + "\n").utf8)
        #expect(try scanner.counters(at: Date(), body: odd).durationBuckets == RequestCounters(at: Date(), exposition: try ExpositionParser.parse(odd, format: .prometheus)).durationBuckets)
    }

    @Test("Escaped label values and seconds histograms fall back or convert; garbage is an error")
    func edgeCases() throws {
        var scanner = IstioStatsScanner()
        let escaped = #"""
            istio_requests_total{reporter="destination",destination_service_name="we\"ird",destination_service_namespace="default",response_code="200"} 7
            istio_request_duration_seconds_bucket{reporter="destination",destination_service_name="a",destination_service_namespace="default",response_code="200",le="0.005"} 3
            istio_request_duration_seconds_bucket{reporter="destination",destination_service_name="a",destination_service_namespace="default",response_code="200",le="+Inf"} 4

            """#
        let counters = try scanner.counters(at: Date(), body: Array(escaped.utf8))
        #expect(counters.requests.first?.key.destinationService == "we\"ird" && counters.requests.first?.value == 7)
        let plain = #"""
            # TYPE istio_request_duration_seconds histogram
            istio_request_duration_seconds_bucket{reporter="destination",destination_service_name="a",response_code="200",le="0.005"} 3
            istio_request_duration_seconds_bucket{reporter="destination",destination_service_name="a",response_code="200",le="+Inf"} 4.5e0
            envoy_cluster_upstream_rq_total{cluster_name="x"} 9
            """#
        let buckets = try scanner.counters(at: Date(), body: Array(plain.utf8)).durationBuckets.first?.value
        #expect(buckets == [5: 3, .infinity: 4.5])
        #expect(throws: (any Error).self) { try scanner.counters(at: Date(), body: Array("istio_requests_total{reporter=\"source\" 12\n".utf8)) }
        #expect(throws: (any Error).self) { try scanner.counters(at: Date(), body: Array("istio_requests_total{reporter=\"source\"} twelve\n".utf8)) }
    }
}
