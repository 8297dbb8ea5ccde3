import Foundation
import MeshModel
import MeshTestSupport
import Testing
@testable import MeshPoller
@testable import MeshSim
@testable import MeshSources

@Suite("Source variants", .timingSensitive)
struct SourceVariantsTests {
    @Test("Envoy stat names with and without Istio 1.23's ';' delimiter")
    func statNames() {
        #expect(EnvoyStatName.cluster("cluster.outbound|9080||reviews.default.svc.cluster.local;.upstream_rq_total")! == ("outbound|9080||reviews.default.svc.cluster.local", "upstream_rq_total"))
        #expect(EnvoyStatName.cluster("cluster.outbound|9080|v1|reviews.default.svc.cluster.local.upstream_rq_5xx")! == ("outbound|9080|v1|reviews.default.svc.cluster.local", "upstream_rq_5xx"))
        #expect(EnvoyStatName.cluster("cluster.xds-grpc.upstream_cx_total")! == ("xds-grpc", "upstream_cx_total"))
        #expect(EnvoyStatName.cluster("server.live") == nil)
    }

    @Test("/stats?format=json agrees with /stats/prometheus on the same proxy")
    func statsJSON() throws {
        var state = try SimRounds.state()
        state.advance(to: SimRounds.t0.addingTimeInterval(60))
        let productpage = state.proxy(matching: "productpage")!
        let context = ProxyContext(state: state, proxy: productpage, now: SimRounds.t0.addingTimeInterval(60))
        let (values, quantiles) = try EnvoyFormats.statsJSON(JSONWriter.write(EnvoyStatsRenderer.json(context), pretty: true))
        let exposition = try ExpositionParser.parse(EnvoyStatsRenderer.prometheus(context))
        for sample in exposition.family("envoy_cluster_upstream_rq_total")?.samples ?? [] {
            let cluster = sample.label("cluster_name")!
            let key = values.keys.first { EnvoyStatName.cluster($0).map { $0.cluster == cluster && $0.stat == "upstream_rq_total" } ?? false }
            #expect(key.map { values[$0] } == sample.value, "\(cluster)")
        }
        #expect(quantiles.keys.contains { $0.hasSuffix(";.upstream_rq_time") })
    }

    @Test("Several istiod replicas: each proxy once, the newest push wins")
    func replicas() throws {
        let older = #"[{"proxy":"a.default","cluster_id":"K","cluster_sent":"1","cluster_acked":"1","resources":{"type.googleapis.com/envoy.config.cluster.v3.Cluster":{"sent":"1","acked":"1","sentTime":"2024-01-01T00:00:00Z"}}}]"#
        let newer = #"[{"proxy":"a.default","cluster_id":"K","cluster_sent":"2","cluster_acked":"1","resources":{"type.googleapis.com/envoy.config.cluster.v3.Cluster":{"sent":"2","acked":"1","sentTime":"2024-01-01T00:05:00Z"}}},{"proxy":"b.default","cluster_id":"K"}]"#
        var round = PollRound(at: Date())
        round.mergeSyncz(try IstiodFormats.syncz(Array(older.utf8)), replica: "istiod-0")
        round.mergeSyncz(try IstiodFormats.syncz(Array(newer.utf8)), replica: "istiod-1")
        #expect(round.syncz.count == 2)
        let a = try #require(round.syncz.first { $0.proxyID == "a.default" })
        #expect(a.istiod == "istiod-1" && a.statuses[.cds] == .stale)
    }

    @Test("A directory of captured files gives a snapshot (no rates: one capture)")
    func directorySource() throws {
        var state = try SimRounds.state { $0.staleProxies = 1 }
        state.advance(to: SimRounds.t0.addingTimeInterval(10))
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("capture-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let write = { (path: String, bytes: [UInt8]) in
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        try write("syncz.json", JSONWriter.write(IstiodRenderer.syncz(state, namespace: nil), pretty: true))
        try write("registryz.json", JSONWriter.write(IstiodRenderer.registryz(state), pretty: false))
        try write("configz.json", JSONWriter.write(ConfigRenderer.configz(state), pretty: false))
        try write("endpointz.json", JSONWriter.write(IstiodRenderer.endpointz(state), pretty: false))
        for proxy in state.topology.proxies {
            let context = ProxyContext(state: state, proxy: proxy.index, now: SimRounds.t0.addingTimeInterval(10))
            try write("proxies/\(proxy.id)/stats.prom", Array(EnvoyStatsRenderer.prometheus(context).utf8))
            try write("proxies/\(proxy.id)/certs.json", JSONWriter.write(EnvoyAdminRenderer.certs(context), pretty: true))
            try write("proxies/\(proxy.id)/config_dump.json", JSONWriter.write(try ConfigDumpRenderer.render(context, query: [:]), pretty: true))
            try write("proxies/\(proxy.id)/server_info.json", JSONWriter.write(EnvoyAdminRenderer.serverInfo(context), pretty: true))
            try write("proxies/\(proxy.id)/clusters.json", JSONWriter.write(EnvoyAdminRenderer.clusters(context), pretty: true))
        }
        var deriver = SnapshotDeriver()
        let round = try DirectorySource.read(root.path)
        #expect(round.proxies.values.allSatisfy { !$0.hosts.isEmpty })
        let snapshot = deriver.derive(round)
        #expect(snapshot.services.count == 5 && snapshot.proxies.count == 7)
        #expect(snapshot.proxies.filter { $0.sync[.cds]?.status == .stale }.count == 1)
        #expect(snapshot.certificates.count == 9, "7 leaves, the intermediate and the root")
        #expect(snapshot.routes.contains { $0.virtualService == "reviews" })
        // A broken file names itself.
        try write("proxies/\(state.topology.proxies[0].id)/certs.json", Array("{\"certificates\": [".utf8))
        #expect(throws: SourceError.self) { try DirectorySource.read(root.path) }
    }
}
