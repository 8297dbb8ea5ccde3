import Foundation
import MeshTestSupport
import Testing
@testable import MeshSources

@Suite("Prometheus / OpenMetrics parser")
struct ExpositionParserTests {
    static let suite = "OpenMetrics/tests/testdata/parsers"

    static var cases: [String] {
        guard Fixtures.available else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: Fixtures.url(suite).path)) ?? []).sorted()
    }

    @Test("The OpenMetrics conformance suite: good cases parse, bad cases fail with a line number",
          .enabled(if: Fixtures.available, "../shared/fixtures is absent"), arguments: cases)
    func conformance(_ name: String) throws {
        let directory = Fixtures.url(Self.suite).appendingPathComponent(name)
        let spec = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("test.json"))) as! [String: Any]
        let bytes = Array(try Data(contentsOf: directory.appendingPathComponent("metrics")))
        if spec["shouldParse"] as? Bool == true {
            #expect(throws: Never.self) { try ExpositionParser.parse(bytes, format: .openMetrics, strict: true) }
        } else {
            do {
                _ = try ExpositionParser.parse(bytes, format: .openMetrics, strict: true)
                Issue.record("\(name) parsed but must be rejected")
            } catch let error as ExpositionError {
                #expect(error.line >= 1, "\(name): \(error)")
            }
        }
    }

    @Test("Every exposition sample in the fixtures parses", .enabled(if: Fixtures.available, "../shared/fixtures is absent"))
    func fixtureSamples() throws {
        let files = Fixtures.files(under: "kuma") { $0.hasSuffix(".in") }
            + Fixtures.files(under: "prometheus") { $0.hasSuffix(".prom") || $0.hasSuffix(".prom.txt") || $0.hasSuffix(".om.txt") }
            + Fixtures.files(under: "linkerd2") { $0.contains("proxy-metrics") }
        #expect(files.count >= 12)
        for file in files {
            let bytes = Array(try Data(contentsOf: file))
            do {
                let exposition = try ExpositionParser.parse(bytes)
                #expect(exposition.sampleCount > 0, "\(file.lastPathComponent)")
            } catch {
                Issue.record("\(file.path): \(error)")
            }
        }
    }

    @Test("Envoy quirks: no HELP, {} label sets, interleaved families, ;-suffixed cluster names")
    func envoyQuirks() throws {
        let text = """
            # TYPE envoy_server_live gauge
            envoy_server_live{} 1
            # TYPE envoy_cluster_upstream_rq counter
            envoy_cluster_upstream_rq{response_code="200",cluster_name="outbound|9080||reviews.default.svc.cluster.local"} 10
            # TYPE envoy_cluster_upstream_rq_time histogram
            envoy_cluster_upstream_rq_time_bucket{cluster_name="a",le="0.5"} 1
            envoy_cluster_upstream_rq_time_bucket{cluster_name="a",le="+Inf"} 3
            envoy_cluster_upstream_rq_time_sum{cluster_name="a"} 12.5
            envoy_cluster_upstream_rq_time_count{cluster_name="a"} 3
            envoy_cluster_upstream_rq{response_code="503",cluster_name="outbound|9080||reviews.default.svc.cluster.local"} 2

            envoy_cluster_upstream_rq_time_bucket{cluster_name="b",le="+Inf"} 0
            """
        let exposition = try ExpositionParser.parse(text)
        #expect(exposition.format == .prometheus)
        #expect(exposition.family("envoy_server_live")?.samples.first?.labels.isEmpty == true)
        #expect(exposition.family("envoy_cluster_upstream_rq")?.samples.map(\.value) == [10, 2])
        let histogram = try #require(exposition.family("envoy_cluster_upstream_rq_time"))
        #expect(histogram.type == .histogram && histogram.samples.count == 5)
        #expect(exposition.families.count == 3)
    }

    @Test("Errors name the line and the problem", arguments: [
        ("a{b=\"1\"} x\n", 1, "invalid value"),
        ("ok 1\nbad{a=1} 2\n", 2, "not quoted"),
        ("# TYPE a gauge\na 1\na{x=\"1\",x=\"2\"} 1\n", 3, "duplicate label"),
        ("a 1 12.5\n", 1, "timestamp"),
        ("# TYPE a bogus\n", 1, "invalid metric type"),
    ])
    func errors(_ text: String, line: Int, fragment: String) {
        do {
            _ = try ExpositionParser.parse(text, format: .prometheus)
            Issue.record("parsed: \(text)")
        } catch let error as ExpositionError {
            #expect(error.line == line)
            #expect(error.reason.contains(fragment), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("Truncated OpenMetrics (no # EOF) is rejected; garbage is rejected with its line")
    func truncated() {
        #expect(throws: ExpositionError.self) { try ExpositionParser.parse("# TYPE a counter\na_total 1\n", format: .openMetrics) }
        #expect(throws: ExpositionError.self) { try ExpositionParser.parse("\u{1}\u{2}garbage\n") }
    }

    @Test("Label escapes decode; values keep full precision; special floats parse")
    func values() throws {
        let exposition = try ExpositionParser.parse("a{x=\"q\\\"uote\\\\ \\n\"} -Inf\nb NaN\nc 1.5e3 1700000000000\nd 9223372036854775808\n")
        #expect(exposition.family("a")?.samples[0].label("x") == "q\"uote\\ \n")
        #expect(exposition.family("a")?.samples[0].value == -.infinity)
        #expect(exposition.family("b")?.samples[0].value.isNaN == true)
        #expect(exposition.family("c")?.samples[0].value == 1500 && exposition.family("c")?.samples[0].timestamp == 1_700_000_000_000)
        #expect(exposition.family("d")?.samples[0].value == 9_223_372_036_854_775_808)
    }
}
