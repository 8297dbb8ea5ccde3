import Foundation
import MeshTestSupport
import Testing
@testable import MeshSources

/// The Prometheus HTTP API envelope and SOFAMosn's admin API formats.
@Suite("Prometheus API and MOSN formats")
struct MeshFormatsTests {
    @Test("Prometheus envelope: vector, matrix, scalar, special values")
    func envelope() throws {
        let vector = try PrometheusAPI.decode(Array(#"""
            {"status":"success","data":{"resultType":"vector","result":[
              {"metric":{"destination_service_name":"reviews","response_code":"200"},"value":[1767436620.5,"12.25"]},
              {"metric":{},"value":[1767436620,"NaN"]},{"metric":{"a":"b"},"value":[1767436620,"+Inf"]}]}}
            """#.utf8))
        #expect(vector.count == 3)
        #expect(vector[0].labels == ["destination_service_name": "reviews", "response_code": "200"] && vector[0].value == 12.25)
        #expect(vector[0].samples[0].time == 1767436620.5)
        #expect(vector[1].value?.isNaN == true && vector[2].value == .infinity)
        let matrix = try PrometheusAPI.decode(Array(#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"x":"1"},"values":[[1,"1"],[61,"-Inf"],[121,"3e2"]]}]}}"#.utf8))
        #expect(matrix.count == 1 && matrix[0].samples.map(\.value) == [1, -.infinity, 300])
        let scalar = try PrometheusAPI.decode(Array(#"{"status":"success","data":{"resultType":"scalar","result":[1767436620,"42"]}}"#.utf8))
        #expect(scalar.first?.value == 42 && scalar.first?.labels == [:])
    }

    @Test("Prometheus errors: the error envelope, garbage, truncation and wrong shapes are clear errors")
    func envelopeErrors() throws {
        #expect(throws: PrometheusAPI.QueryError(errorType: "bad_data", message: "1:1: parse error: unexpected end of input")) {
            try PrometheusAPI.decode(Array(#"{"status":"error","errorType":"bad_data","error":"1:1: parse error: unexpected end of input"}"#.utf8))
        }
        let cases: [(String, String)] = [
            ("<html>502 Bad Gateway</html>", "not JSON"),
            (#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]}"#, "not JSON"),
            (#"{"data":{}}"#, "no status"),
            (#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}}"#, "not [time"),
            (#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"twelve"]}]}}"#, "not a number"),
            (#"{"status":"success","data":{"resultType":"string","result":[1,"x"]}}"#, "not a number series"),
            (#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":1},"value":[1,"1"]}]}}"#, "label value"),
        ]
        for (body, expected) in cases {
            do {
                _ = try PrometheusAPI.decode(Array(body.utf8))
                Issue.record("\(body) decoded")
            } catch {
                #expect("\(error)".contains(expected), "\(body): \(error)")
            }
        }
    }

    @Test("Every example response in Prometheus's own OpenAPI golden decodes (native histograms skipped)")
    func openAPIExamples() throws {
        guard Fixtures.available else { print("skipped: ../shared/fixtures is absent"); return }
        let text = try String(decoding: Fixtures.data("prometheus/web/api/v1/testdata/openapi_3.1_golden.yaml"), as: UTF8.self)
        var decoded = 0, floats = 0
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("value: {\"status\": \"success\", \"data\": {\"resultType\": \"") else { continue }
            guard trimmed.contains("\"vector\"") || trimmed.contains("\"matrix\"") || trimmed.contains("\"scalar\"") else { continue }
            let series = try PrometheusAPI.decode(Array(trimmed.dropFirst("value: ".count).utf8))
            decoded += 1
            floats += series.count
        }
        #expect(decoded >= 6, "the golden holds several query examples")
        #expect(floats > 0)
    }

    @Test("Query paths percent-encode PromQL")
    func urls() {
        let path = PrometheusAPI.queryPath(#"sum by (a) (rate(x{reporter=~"source|destination"}[60s])) > 0"#, time: Date(timeIntervalSince1970: 1.5))
        #expect(path == "/api/v1/query?query=sum%20by%20%28a%29%20%28rate%28x%7Breporter%3D~%22source%7Cdestination%22%7D%5B60s%5D%29%29%20%3E%200&time=1.500")
        #expect(PrometheusAPI.rangePath("up", start: Date(timeIntervalSince1970: 0), end: Date(timeIntervalSince1970: 540), step: 60)
            == "/api/v1/query_range?query=up&start=0.000&end=540.000&step=60")
    }

    @Test("MOSN stats: numbers from strings, per-cluster namespaces, host namespaces told apart")
    func mosnStats() throws {
        let stats = try MosnFormats.stats(Array(#"""
            {"downstream":{"listener.0.0.0.0_15006":{"request_total":"95"}},
             "upstream":{"cluster.outbound|9080||reviews.default.svc.cluster.local":{"request_total":"10","response_success":"9","response_failed":"1"},
                         "cluster.outbound|9080||reviews.default.svc.cluster.local.host.10.244.0.7:9080":{"request_total":"10"},
                         "cluster.outbound|80||api.host.example.com":{"request_total":"3"},
                         "cluster.inbound|9080||":{"request_total":"95"}}}
            """#.utf8))
        #expect(stats.types["downstream"]?["listener.0.0.0.0_15006"]?["request_total"] == 95)
        #expect(Set(stats.clusters.keys) == ["outbound|9080||reviews.default.svc.cluster.local", "outbound|80||api.host.example.com", "inbound|9080||"])
        #expect(stats.clusters["outbound|9080||reviews.default.svc.cluster.local"]?["response_failed"] == 1)
        #expect(throws: FormatError.self) { try MosnFormats.stats(Array(#"{"upstream":{"cluster.x":{"request_total":"many"}}}"#.utf8)) }
        #expect(throws: FormatError.self) { try MosnFormats.stats(Array(#"["not","stats"]"#.utf8)) }
        #expect(throws: (any Error).self) { try MosnFormats.stats(Array(#"{"upstream":{"cluster.x":{"request_total":"1"#.utf8)) }
        #expect(MosnFormats.version(Array("mosn version: v1.6.0\n".utf8)) == "v1.6.0")
        #expect(MosnFormats.state(Array("pid=4242&state=6".utf8)) == "Running")
        #expect(MosnFormats.state(Array("pid=4242&state=8".utf8)) == "GracefulStopping")
    }

    @Test("MOSN config dump: routers and clusters become documents; the fixture config reads")
    func mosnConfig() throws {
        guard Fixtures.available else { print("skipped: ../shared/fixtures is absent"); return }
        let documents = try MosnFormats.configDocuments(Array(Fixtures.data("mosn/configs/mosn_config.json")), namespace: "default", pod: "mosn-0")
        #expect(documents.map(\.kind) == ["ProxyRoutes", "ProxyClusters"])
        #expect(documents[0].text.contains("router_config_name: application") && documents[0].text.contains("serverCluster"))
        #expect(documents[1].text == "clientCluster SIMPLE\nserverCluster SIMPLE\n")
        #expect(throws: (any Error).self) { try MosnFormats.configDocuments(Array("[]".utf8), namespace: "", pod: "") }
    }
}
