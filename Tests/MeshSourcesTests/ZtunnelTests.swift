import Foundation
import MeshTestSupport
import Testing
@testable import MeshSources

/// A real ztunnel's `/config_dump` (fixtures/istio/…/ztunnel/configdump/testdata) read, and the
/// tables istioctl prints from it reproduced exactly.
@Suite("ztunnel config dump")
struct ZtunnelTests {
    static let folder = "istio/istioctl/pkg/writer/ztunnel/configdump/testdata/"

    static func dump() throws -> ZtunnelConfigDump { try ZtunnelConfigDump.decode(Array(try Fixtures.data(folder + "dump.json"))) }
    static func golden(_ name: String) throws -> String { String(decoding: try Fixtures.data(folder + name), as: UTF8.self) }

    @Test("the real dump: workloads (a map in this build), services, policies, one certificate entry per identity with its state")
    func decode() throws {
        guard Fixtures.available else { return }
        let dump = try Self.dump()
        #expect(dump.workloads.count == 27 && dump.services.count == 19 && dump.policies.count == 2 && dump.problems.isEmpty)
        let ratings = try #require(dump.workloads.first { $0.name == "ratings-v1-6484c4d9bb-mdxm5" })
        #expect(ratings.protocol == "HBONE" && ratings.waypoint == "/10.96.65.117" && ratings.node == "ambient-worker2"
                && ratings.identity == "spiffe://cluster.local/ns/bookinfo/sa/bookinfo-ratings")
        #expect(dump.serviceName(atAddress: "/10.96.65.117") == "namespace-istio-waypoint")
        #expect(dump.certificates.map(\.stateWord) == ["Available", "Initializing", "Unavailable", "Unavailable"])
        #expect(dump.certificates[0].chain.count == 2 && dump.certificates[0].chain[0].expiration == Date(timeIntervalSince1970: 1995109497))
        #expect(dump.certificates[3].reason?.hasPrefix("signing gRPC error") == true && dump.certificates[0].reason == nil)
    }

    @Test("istioctl ztunnel-config workload / certificate / policy: the same tables, byte for byte")
    func tables() throws {
        guard Fixtures.available else { return }
        let dump = try Self.dump()
        #expect(ZtunnelTables.workloads(dump) == (try Self.golden("workloadsummary.txt")))
        #expect(ZtunnelTables.workloads(dump, namespace: "default") == (try Self.golden("workloadsummary_default.txt")))
        #expect(ZtunnelTables.workloads(dump, namespace: "bookinfo", pod: "productpage-v1-675fc69cf-jscn2") == (try Self.golden("workloadsummary_workload.txt")))
        // VALID CERT is judged at `now`: the leaf is valid from 2023 to 2033, the root's dates are inverted.
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(ZtunnelTables.certificates(dump, now: now) == (try Self.golden("secretsummary.txt")))
        #expect(ZtunnelTables.policies(dump) == (try Self.golden("policies.txt")))
    }

    @Test("serials: ztunnel's decimal as Go prints a big.Int in hex", arguments: [
        ("305554775863395697262503895661564044819", "e5dfb59150b2ba7f108d93dcec5aa613"), ("0", "0"), ("255", "ff"), ("16", "10"),
    ])
    func hex(_ decimal: String, _ hex: String) {
        #expect(ZtunnelTables.hex(decimal: decimal) == hex)
    }

    @Test("arrays (current ztunnel) and maps (older); unknown keys ignored; a bad certificate entry named, the rest kept; no certificates said")
    func shapes() throws {
        let arrays = #"""
            {"workloads": [{"uid": "Kubernetes//Pod/a/p-1", "name": "p-1", "namespace": "a", "workloadIps": ["10.0.0.1"], "node": "n1",
                            "serviceAccount": "sa", "protocol": "HBONE", "newField": {"x": 1}}],
             "services": [], "policies": [], "stagedServices": {}, "version": "1.28.0",
             "certificates": [{"identity": "spiffe://cluster.local/ns/a/sa/sa", "state": "Available",
                               "certChain": [{"pem": "", "serialNumber": "not-a-number", "validFrom": "2026-01-01T00:00:00Z", "expirationTime": "2026-01-02T00:00:00Z"},
                                             {"pem": "", "serialNumber": "17", "validFrom": "2026-01-01T00:00:00Z", "expirationTime": "2027-01-01T00:00:00Z"}]}]}
            """#
        let dump = try ZtunnelConfigDump.decode(Array(arrays.utf8))
        #expect(dump.workloads.map(\.name) == ["p-1"] && dump.hasCertificates)
        #expect(dump.problems == ["certificate spiffe://cluster.local/ns/a/sa/sa: certChain[0] has no decimal serialNumber"])
        #expect(dump.certificates.first?.chain.map(\.serialNumber) == ["17"])
        let maps = #"{"workloads": {"/10.0.0.2": {"name": "q", "namespace": "b", "workloadIps": ["10.0.0.2"]}, "/10.0.0.3": {"namespace": "b"}}, "services": {}}"#
        let old = try ZtunnelConfigDump.decode(Array(maps.utf8))
        #expect(old.workloads.map(\.name) == ["q"] && !old.hasCertificates)
        #expect(old.problems == ["workload /10.0.0.3: no name or namespace"])
        #expect(throws: (any Error).self) { try ZtunnelConfigDump.decode(Array(#"{"configs": []}"#.utf8)) }
    }
}
