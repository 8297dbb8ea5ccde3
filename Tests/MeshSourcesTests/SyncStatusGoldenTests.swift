import Foundation
import MeshModel
import MeshTestSupport
import Testing
@testable import MeshSources

/// Sync states and the proxy-status table against istioctl's own golden outputs (Istio 1.22–1.26
/// era, HTTP syncz path). The inputs are those of istioctl's status_test.go, written as the syncz
/// JSON istiod serves.
@Suite("istioctl proxy-status goldens", .enabled(if: Fixtures.available, "../shared/fixtures is absent"))
struct SyncStatusGoldenTests {
    static let golden = "istio/_at-3d44ec4296f7/istioctl/pkg/writer/pilot/testdata/"
    static let nonce = "3b1c2ac8-5f0b-4f3f-9a8e-6c1f4b0d2e11"

    static func row(_ cluster: String, _ proxy: String, _ fields: [String: String], version: String = "istio_version",
                    type: String? = nil) -> String {
        var members = ["\"cluster_id\":\"\(cluster)\"", "\"proxy\":\"\(proxy)\"", "\"\(version)\":\"1.1\""]
        if let type { members.append("\"proxy_type\":\"\(type)\"") }
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) { members.append("\"\(key)\":\"\(value)\"") }
        return "{" + members.joined(separator: ",") + "}"
    }

    static var input1: String { row("cluster1", "proxy1", ["cluster_sent": nonce, "cluster_acked": UUID().uuidString, "listener_sent": nonce, "listener_acked": nonce, "endpoint_sent": nonce, "endpoint_acked": nonce]) }
    static var input2: String { row("cluster2", "proxy2", ["cluster_sent": nonce, "cluster_acked": UUID().uuidString, "listener_sent": nonce, "listener_acked": nonce, "endpoint_sent": nonce, "endpoint_acked": UUID().uuidString, "route_sent": nonce, "route_acked": nonce]) }
    static var input3: String { row("cluster3", "proxy3", ["cluster_sent": nonce, "listener_acked": nonce, "endpoint_sent": nonce, "route_sent": nonce, "route_acked": nonce]) }
    static var input4: String { row("cluster4", "proxy4", [:], type: "ztunnel") }

    static func parse(_ rows: [String], replica: String) throws -> [SynczEntry] {
        try IstiodFormats.syncz(Array("[\(rows.joined(separator: ","))]".utf8)).map { var row = $0; row.istiod = replica; return row }
    }

    static func expected(_ file: String) throws -> String { String(decoding: try Fixtures.data(golden + file), as: UTF8.self) }

    @Test("Several istiod replicas merged")
    func multiPilot() throws {
        let rows = try Self.parse([Self.input1], replica: "istiod1") + Self.parse([Self.input2], replica: "istiod2")
            + Self.parse([Self.input3], replica: "istiod3") + Self.parse([Self.input4], replica: "istiod4")
        #expect(ProxyStatusTable.render(rows) == (try Self.expected("multiStatusMultiPilot.txt")))
    }

    @Test("One istiod replica")
    func singlePilot() throws {
        let rows = try Self.parse([Self.input2, Self.input1], replica: "istiod1")
        #expect(ProxyStatusTable.render(rows) == (try Self.expected("multiStatusSinglePilot.txt")))
    }

    @Test("One proxy, and the VERSION fallback to proxy_version with a star")
    func single() throws {
        #expect(ProxyStatusTable.render(try Self.parse([Self.input2], replica: "istiod2")) == (try Self.expected("singleStatus.txt")))
        let fallback = Self.row("cluster2", "proxy2", ["cluster_sent": Self.nonce, "cluster_acked": "x", "listener_sent": Self.nonce, "listener_acked": Self.nonce,
                                                      "endpoint_sent": Self.nonce, "endpoint_acked": "y", "route_sent": Self.nonce, "route_acked": Self.nonce],
                                version: "proxy_version")
        #expect(ProxyStatusTable.render(try Self.parse([fallback], replica: "istiod2")) == (try Self.expected("singleStatusFallback.txt")))
    }

    @Test("The real Kiali syncz sample parses; the proxy without an RDS nonce is NOT SENT")
    func kialiSample() throws {
        let rows = try IstiodFormats.syncz(Array(try Fixtures.data("kiali/tests/data/registry/registry-syncz.json")))
        #expect(rows.count == 34)
        let notSent = rows.filter { $0.statuses[.rds] == .notSent }
        #expect(notSent.count == 1)
        #expect(rows.allSatisfy { $0.statuses[.cds] == .synced })
    }
}
