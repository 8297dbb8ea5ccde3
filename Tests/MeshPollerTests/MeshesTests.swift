import Foundation
import MeshModel
import MeshTestSupport
import Testing
@testable import MeshPoller
@testable import MeshSim
@testable import MeshSources

/// Linkerd and SOFAMosn proxies next to Envoy ones: mapping, a mixed live simulation, actions.
@Suite("Linkerd, MOSN and mixed meshes", .timingSensitive, .serialized)
struct MeshesTests {
    static let linkerdText = #"""
        # TYPE response_total counter
        response_total{direction="inbound",target_addr="0.0.0.0:4191",target_ip="0.0.0.0",target_port="4191",tls="no_identity",status_code="200",classification="success"} 500
        response_total{direction="inbound",target_addr="10.1.0.4:9080",target_port="9080",tls="true",client_id="bookinfo-productpage.web.serviceaccount.identity.linkerd.cluster.local",status_code="200",classification="success"} 90
        response_total{direction="inbound",target_addr="10.1.0.4:9080",target_port="9080",tls="true",client_id="bookinfo-productpage.web.serviceaccount.identity.linkerd.cluster.local",status_code="503",classification="failure"} 10
        response_total{direction="outbound",authority="ratings.default.svc.cluster.local:9080",tls="no_identity",dst_deployment="ratings-v1",dst_namespace="default",dst_service="ratings",status_code="200",classification="success"} 40
        response_total{direction="outbound",authority="payments.billing.svc.cluster.local:8080",tls="true",classification="failure",error="connect timed out"} 2
        # TYPE response_latency_ms histogram
        response_latency_ms_bucket{direction="inbound",target_addr="10.1.0.4:9080",target_port="9080",tls="true",client_id="bookinfo-productpage.web.serviceaccount.identity.linkerd.cluster.local",status_code="200",le="10"} 80
        response_latency_ms_bucket{direction="inbound",target_addr="10.1.0.4:9080",target_port="9080",tls="true",client_id="bookinfo-productpage.web.serviceaccount.identity.linkerd.cluster.local",status_code="200",le="+Inf"} 90
        # TYPE identity_cert_expiration_timestamp_seconds gauge
        identity_cert_expiration_timestamp_seconds 1795800000
        # TYPE proxy_build_info gauge
        proxy_build_info{version="stable-2.14.10",vendor="linkerd"} 1
        """#

    @Test("Linkerd metrics: inbound answers as destination, outbound calls as source, admin-port traffic left out")
    func linkerdMapping() throws {
        let exposition = try ExpositionParser.parse(Array(Self.linkerdText.utf8), format: .prometheus)
        let target = ScrapeTarget(url: "http://10.1.0.4:4191", labels: ["kind": "linkerd", "namespace": "default", "app": "reviews",
                                                                        "workload": "reviews-v2", "version": "v2", "proxy": "reviews-v2-x.default"])
        let counters = LinkerdTraffic.counters(at: Date(), exposition: exposition, target: target)
        #expect(counters.requests.values.reduce(0, +) == 142, "the 500 probe responses on :4191 are not traffic")
        let inbound = counters.requests.filter { $0.key.reporter == "destination" }
        #expect(inbound.keys.allSatisfy { $0.destinationService == "reviews" && $0.destinationVersion == "v2" && $0.sourceNamespace == "web" && $0.mutualTLS })
        #expect(inbound.first { $0.key.responseCode == "503" }?.value == 10)
        let outbound = counters.requests.filter { $0.key.reporter == "source" }
        let ratings = try #require(outbound.first { $0.key.destinationService == "ratings" })
        #expect(ratings.key.destinationVersion == "v1" && !ratings.key.mutualTLS && ratings.key.sourceService == "reviews" && ratings.value == 40)
        let failed = try #require(outbound.first { $0.key.destinationService == "payments" })
        #expect(failed.key.destinationNamespace == "billing" && failed.key.responseCode == "0" && failed.key.isServerError)
        #expect(counters.durationBuckets.values.first?[10] == 80)
        #expect(LinkerdTraffic.version(exposition) == "stable-2.14.10")
        #expect(LinkerdTraffic.certificate(exposition, proxyID: "reviews-v2-x.default")?.expiration == Date(timeIntervalSince1970: 1795800000))
    }

    @Test("MOSN clusters: inbound as destination, outbound per host and subset as source, failures as 5xx")
    func mosnMapping() {
        let stats = MosnFormats.Stats(types: ["upstream": [
            "cluster.inbound|9080||": ["response_success": 95, "response_failed": 5],
            "cluster.outbound|9080|v2|ratings.default.svc.cluster.local": ["response_success": 30],
            "cluster.outbound|9080|v2|ratings.default.svc.cluster.local.host.10.1.0.9:9080": ["response_success": 30],
        ]])
        let target = ScrapeTarget(url: "http://x", labels: ["kind": "mosn", "namespace": "default", "app": "reviews", "version": "v1"])
        let counters = MosnTraffic.counters(at: Date(), stats: stats, target: target)
        #expect(counters.requests.count == 3)
        #expect(counters.requests.first { $0.key.reporter == "destination" && $0.key.responseCode == "503" }?.value == 5)
        let outbound = counters.requests.first { $0.key.reporter == "source" }
        #expect(outbound?.key.destinationService == "ratings" && outbound?.key.destinationVersion == "v2" && outbound?.value == 30)
    }

    /// A mixed simulation (productpage and ratings on Istio, details on Linkerd, reviews on MOSN)
    /// polled through its targets file's kinds.
    static func withMixedSim(base: String, _ body: (SimServer, String, [ScrapeTarget]) async throws -> Void) async throws {
        try await PollerTests.withSim(base: base, mesh: .mixed, body)
    }

    @Test("A mixed Istio + Linkerd + MOSN mesh: one snapshot, every row with its mesh and source, rates within 10 % of the model")
    func mixedSnapshot() async throws {
        try await Self.withMixedSim(base: "127.0.64.1") { server, istiod, targets in
            #expect(Set(targets.map(\.kind)) == [.istioEnvoy, .linkerd, .mosn])
            var options = PollerOptions()
            options.istiodURLs = [istiod]
            options.targets = targets
            let (round, snapshot) = try await Self.pollTwice(options)
            #expect(round.sources.allSatisfy { $0.ok }, "\(round.sources.filter { !$0.ok })")
            #expect(round.syncz.count == 3, "only the Envoys (gateway, productpage, ratings) talk to istiod")

            let topology = server.simulator.topology
            let byName = Dictionary(uniqueKeysWithValues: snapshot.services.map { ($0.name, $0) })
            let expected: [(String, MeshKind)] = [("productpage", .istioEnvoy), ("details", .linkerd), ("reviews", .mosn), ("ratings", .istioEnvoy)]
            for (name, origin) in expected {
                let service = try #require(byName[name])
                #expect(service.origin == origin, "\(name)")
                let index = try #require(topology.services.firstIndex { $0.name == name })
                let model = topology.edges.filter { $0.destination == index }.map(\.rps).reduce(0, +)
                #expect(abs(service.traffic.rps - model) / model < 0.1, "\(name): \(service.traffic.rps) rps vs the model's \(model)")
            }
            #expect(byName["details"]?.traffic.latencyMs.p99 != nil, "Linkerd histograms give quantiles")
            #expect(byName["reviews"]?.traffic.latencyMs.p99 == nil, "MOSN exports no quantiles")
            let edges = Dictionary(uniqueKeysWithValues: snapshot.edges.map { ($0.id, $0) })
            #expect(edges["default/productpage->default/details"]?.origin == .istioEnvoy)
            #expect(edges["default/reviews->default/ratings"]?.origin == .mosn)
            #expect((edges["default/reviews->default/ratings"]?.traffic.rps ?? 0) > 10)

            let proxies = Dictionary(snapshot.proxies.map { ($0.podName.components(separatedBy: "-").first ?? "", $0) }, uniquingKeysWith: { a, _ in a })
            #expect(proxies["details"]?.origin == .linkerd && proxies["details"]?.proxyVersion == "stable-2.14.10")
            #expect(proxies["details"]?.serverState == "LIVE" && proxies["details"]?.health.health == .healthy)
            #expect(proxies["reviews"]?.origin == .mosn && proxies["reviews"]?.proxyVersion == "v1.6.0")
            #expect(snapshot.certificates.contains { $0.serial.hasPrefix("linkerd-identity:details-v1") })
            #expect(snapshot.configs.contains { $0.kind == ConfigDocument.proxyRoutes && $0.name.hasPrefix("reviews-v1") && $0.text.contains("ratings.default.svc.cluster.local") })

            let json = try JSONSerialization.jsonObject(with: try SnapshotExport(snapshot).json()) as? [String: Any]
            let rows = try #require(json?["services"] as? [[String: Any]])
            #expect(Set(rows.compactMap { $0["mesh"] as? String }) == ["istio", "linkerd", "mosn"])
            #expect(Set(rows.compactMap { $0["dataSource"] as? String }).isSuperset(of: ["envoy", "linkerd-proxy", "mosn-admin"]))
            let text = SnapshotTables.rows(SnapshotExport(snapshot), section: .services).map { $0.joined(separator: " ") }
            #expect(text.contains { $0.contains("details linkerd linkerd-proxy") } && text.contains { $0.contains("reviews mosn mosn-admin") })
        }
    }

    /// Two polls 6 s apart and the snapshot of the second, for rates. 6 s, not 3: a rate's window
    /// is stamped when each proxy's answer arrives, and on a loaded machine (the whole suite on 2
    /// cores) answers arrive up to ~0.4 s late, which over 3 s moved rates by 11–15 %.
    static func pollTwice(_ options: PollerOptions) async throws -> (PollRound, MeshSnapshot) {
        var options = options
        options.timeout = 30 // not a deadline test (see PollerTests.pollAndOverlap)
        let poller = try MeshPoller(options: options)
        var deriver = SnapshotDeriver()
        _ = deriver.derive(try #require(await poller.poll()))
        try await Task.sleep(nanoseconds: 6_000_000_000)
        let round = try #require(await poller.poll())
        let snapshot = deriver.derive(round)
        await poller.shutdown()
        return (round, snapshot)
    }

    @Test("Log level on Linkerd (PUT /proxy-log-level) and MOSN (POST /api/v1/update_loglevel); drain refused for both")
    func meshActions() async throws {
        try await Self.withMixedSim(base: "127.0.65.1") { _, _, targets in
            let linkerd = try #require(targets.first { $0.kind == .linkerd })
            let mosn = try #require(targets.first { $0.kind == .mosn })
            let client = OperatorActionClient(client: MeshClient(transport: try DirectHTTPTransport(), policy: .operatorActions))
            let setLinkerd = await client.perform(OperatorAction(kind: .setLogLevel("debug"), proxyID: linkerd.proxyID, adminURL: linkerd.url, mesh: .linkerd))
            #expect(setLinkerd.severity == .info, "\(setLinkerd.message)")
            #expect(try await TestHTTP.get(linkerd.url + "/proxy-log-level").body == "debug,linkerd=debug")
            let setMosn = await client.perform(OperatorAction(kind: .setLogLevel("warning"), proxyID: mosn.proxyID, adminURL: mosn.url, mesh: .mosn))
            #expect(setMosn.severity == .info, "\(setMosn.message)")
            #expect(try await TestHTTP.get(mosn.url + "/api/v1/get_loglevel").body.contains("\"WARN\""))
            let drain = await client.perform(OperatorAction(kind: .failHealthCheck, proxyID: mosn.proxyID, adminURL: mosn.url, mesh: .mosn))
            #expect(drain.severity == .warning && drain.message.contains("only take a log level"), "\(drain.message)")
            await client.client.shutdown()
            let readOnly = OperatorActionClient(client: MeshClient(transport: try DirectHTTPTransport(), policy: .readOnly))
            let refused = await readOnly.perform(OperatorAction(kind: .setLogLevel("debug"), proxyID: linkerd.proxyID, adminURL: linkerd.url, mesh: .linkerd))
            #expect(refused.message.contains("read-only"))
            await readOnly.client.shutdown()
        }
    }
}
