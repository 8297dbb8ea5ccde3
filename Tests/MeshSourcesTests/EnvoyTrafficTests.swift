import Foundation
import MeshModel
import MeshTestSupport
import Testing
@testable import MeshSources

/// RED from Envoy's own statistics (an Envoy without Istio), held against real Envoy 1.40 and
/// Kuma captures: names recovered from Envoy's default tags, cluster names mapped per mesh.
@Suite("Envoy's own request statistics")
struct EnvoyTrafficTests {
    static func exposition(_ relative: String) throws -> Exposition {
        try ExpositionParser.parse(Array(try Fixtures.data(relative)), format: .prometheus)
    }

    static func sample(_ line: String) throws -> Sample {
        try #require(try ExpositionParser.parse(Array(line.utf8), format: .prometheus).families.first?.samples.first)
    }

    @Test("names cut at their first dot by Envoy's tags come back whole; external/internal repeats and other stats are no request statistic")
    func names() throws {
        let code = try #require(EnvoyRequestStat(try Self.sample(#"envoy_cluster_default_svc_cluster_local_upstream_rq{envoy_response_code="503",envoy_cluster_name="outbound|9080|v2|reviews"} 9"#)))
        #expect(code == EnvoyRequestStat(scope: .cluster("outbound|9080|v2|reviews.default.svc.cluster.local"), stat: .code("503")))
        let klass = try #require(EnvoyRequestStat(try Self.sample(#"envoy_cluster_upstream_rq_xx{envoy_response_code_class="2",envoy_cluster_name="kuma_envoy_admin"} 1"#)))
        #expect(klass == EnvoyRequestStat(scope: .cluster("kuma_envoy_admin"), stat: .codeClass("2")))
        let bucket = try #require(EnvoyRequestStat(try Self.sample(#"envoy_cluster_default_svc_cluster_local_upstream_rq_time_bucket{envoy_cluster_name="outbound|9080||ratings",le="0.5"} 7"#)))
        #expect(bucket.stat == .timeBucket(le: 0.5))
        let inbound = try #require(EnvoyRequestStat(try Self.sample(#"envoy_http_0_0_0_9080_downstream_rq_xx{envoy_response_code_class="5",envoy_http_conn_manager_prefix="inbound_0"} 3"#)))
        #expect(inbound.stat == .codeClass("5"))
        if case let .http(prefix) = inbound.scope { #expect(EnvoyClusterNames.isInbound(httpPrefix: prefix)) } else { Issue.record("not an HTTP scope") }
        // Istio's own tags keep the whole name in `cluster_name`.
        let istio = try #require(EnvoyRequestStat(try Self.sample(#"envoy_cluster_upstream_rq{response_code="200",envoy_response_code="200",cluster_name="outbound|9080||reviews.default.svc.cluster.local"} 4"#)))
        #expect(istio.scope == .cluster("outbound|9080||reviews.default.svc.cluster.local"))
        #expect(EnvoyRequestStat(try Self.sample(#"envoy_cluster_default_svc_cluster_local_external_upstream_rq{envoy_response_code="200",envoy_cluster_name="outbound|9080||ratings"} 5"#)) == nil)
        #expect(EnvoyRequestStat(try Self.sample(#"envoy_cluster_upstream_rq_total{envoy_cluster_name="x"} 5"#)) == nil)
        #expect(EnvoyRequestStat(try Self.sample(#"envoy_server_state{} 0"#)) == nil)
    }

    @Test("cluster names to services, per mesh", arguments: [
        ("outbound|9080|v1|reviews.default.svc.cluster.local", MeshKind.istioEnvoy, "reviews", "default", "v1"),
        ("outbound|443||api.github.com", .istioEnvoy, "api.github.com", "unknown", "unknown"),
        ("backend_kuma-demo_svc_3001-0382aaf295add2eb", .kuma, "backend", "kuma-demo", "unknown"),
        ("demo-app_kuma-demo_svc_5000", .kuma, "demo-app", "kuma-demo", "unknown"),
        ("kri_msvc_default_zone-1_kuma-demo_redis_6379", .kuma, "redis", "kuma-demo", "unknown"),
        ("web.default.dc1.internal.11111111-2222-3333-4444-555555555555.consul", .consul, "web", "default", "unknown"),
        ("v2.api.billing.dc1.internal.11111111-2222-3333-4444-555555555555.consul", .consul, "api", "billing", "v2"),
        ("ab12cd34~api.default.dc1.internal.td.consul", .consul, "api", "default", "unknown"),
        ("httproute/default/backend/rule/0", .envoyGateway, "backend", "default", "unknown"),
    ])
    func destinations(_ cluster: String, _ flavour: MeshKind, _ service: String, _ namespace: String, _ version: String) throws {
        #expect(EnvoyClusterNames.flavour(of: cluster) == flavour)
        let destination = try #require(EnvoyClusterNames.destination(cluster, flavour: flavour))
        #expect(destination.service == service && destination.namespace == namespace && destination.version == version, "\(destination)")
    }

    @Test("clusters that are no service map to none", arguments: ["inbound|9080||", "BlackHoleCluster", "PassthroughCluster", "prometheus_stats",
                                                                    "xds-grpc", "kuma_envoy_admin", "localhost_3000", "ads_cluster"])
    func notServices(_ cluster: String) {
        for flavour in [MeshKind.istioEnvoy, .kuma, .consul, .envoyGateway] {
            #expect(EnvoyClusterNames.destination(cluster, flavour: flavour) == nil, "\(cluster) as \(flavour)")
        }
    }

    @Test("a real Envoy 1.40 frontend: edges to reviews v1 and v2 with their codes and latency, Istio-style names shown")
    func frontendCapture() throws {
        try #require(Fixtures.available, "../shared/fixtures is absent")
        let exposition = try Self.exposition("envoy-1.40/frontend/stats-prometheus.txt")
        #expect(EnvoyTraffic.flavour(exposition) == .istioEnvoy)
        let target = ScrapeTarget(url: "http://127.0.10.1:15000", labels: ["app": "frontend", "version": "v1", "namespace": "default"])
        let counters = EnvoyTraffic.counters(exposition, at: Date(), target: target, flavour: .istioEnvoy)
        let toReviews = counters.requests.filter { $0.key.reporter == "source" && $0.key.destinationService == "reviews" }
        #expect(toReviews.count == 3 && toReviews.keys.allSatisfy { $0.sourceService == "frontend" && $0.destinationNamespace == "default" })
        #expect(toReviews.first { $0.key.destinationVersion == "v2" && $0.key.responseCode == "503" }?.value == 9)
        #expect(toReviews.first { $0.key.destinationVersion == "v1" && $0.key.responseCode == "200" }?.value == 120)
        #expect(toReviews.keys.allSatisfy { $0.mutualTLS }, "the reviews clusters did TLS handshakes")
        #expect(counters.durationBuckets.keys.contains { $0.destinationVersion == "v1" && $0.reporter == "source" })
    }

    @Test("a Kuma data plane's capture: its legacy service names")
    func kumaCapture() throws {
        try #require(Fixtures.available, "../shared/fixtures is absent")
        let exposition = try Self.exposition("kuma/app/kuma-dp/pkg/dataplane/metrics/testdata/counter-status-codes.in")
        #expect(EnvoyTraffic.flavour(exposition) == .kuma)
    }
}
