import Foundation
import MeshModel
import MeshTestSupport
import Testing
@testable import MeshPoller
@testable import MeshSim
@testable import MeshSources

/// `meshtop sim --dataplane ambient|mixed` (ztunnels per node, pods without proxies) and what
/// meshtop reads of it: ztunnels, their identities' certificates beside the sidecars', data-plane
/// modes (issue 21's first part).
@Suite("Ambient data plane")
struct AmbientTests {
    static func state(_ dataplane: SimDataplane, nodes: Int = 3) throws -> SimulatorState {
        var options = SimOptions()
        options.dataplane = dataplane
        options.nodes = nodes
        var state = try SimulatorState(options: options, now: Date(timeIntervalSince1970: 1_795_000_000))
        state.advance(to: Date(timeIntervalSince1970: 1_795_000_060))
        return state
    }

    @Test("the simulated ztunnel: one per node, its dump in the real shape with a certificate per identity of its node's ambient pods, L4 metrics with both reporters")
    func simulatedZtunnel() throws {
        let state = try Self.state(.ambient, nodes: 2)
        let topology = state.topology
        #expect(topology.ztunnels.map(\.node) == ["sim-worker-1", "sim-worker-2"])
        #expect(Set(topology.ztunnels.map(\.podIP)).isDisjoint(with: topology.proxies.map(\.podIP)), "ztunnel pod IPs are their own")
        #expect(topology.services.filter(\.isGateway).allSatisfy { !$0.ambient } && topology.services.filter { !$0.isGateway }.allSatisfy(\.ambient))
        for ztunnel in topology.ztunnels {
            let bytes = try JSONWriter.write(ZtunnelRenderer.configDump(state, ztunnel: ztunnel), pretty: false)
            let dump = try ZtunnelConfigDump.decode(Array(bytes))
            #expect(dump.problems.isEmpty && dump.hasCertificates)
            let pods = topology.ambientPods(onNode: ztunnel.index)
            let identities = Set(pods.map { "spiffe://cluster.local/ns/\($0.namespace)/sa/\(topology.services[$0.service].serviceAccount)" })
            #expect(Set(dump.certificates.map(\.identity)) == identities)
            for entry in dump.certificates {
                #expect(entry.stateWord == "Available" && entry.chain.count == 3)
                let parsed = try PEMCertificates.parse(entry.chain.map(\.pem).joined(), source: "test")
                #expect(parsed.first?.spiffeID == entry.identity)
                // The decimal serial is the certificate's, as ztunnel writes it.
                #expect(ZtunnelTables.hex(decimal: entry.chain[0].serialNumber) == parsed.first?.serial.drop { $0 == "0" }.lowercased())
                #expect(entry.chain[0].expiration == parsed.first?.notAfter)
            }
            #expect(dump.workloads.filter { $0.protocol == "HBONE" && $0.node == ztunnel.node }.count == pods.count)
            let metrics = try ExpositionParser.parse(Array(ZtunnelRenderer.metrics(state, ztunnel: ztunnel).utf8), format: .prometheus)
            let sent = try #require(metrics.family("istio_tcp_sent_bytes_total"))
            #expect(Set(sent.samples.compactMap { $0.label("reporter") }) == ["source", "destination"])
            #expect(metrics.family("istio_tcp_connections_opened_total") != nil && metrics.family("istio_build")?.samples.first?.label("component") == "ztunnel")
        }
        // istiod: ztunnels in syncz with WDS and WADS; ambient pods are not; /debug/ambientz.
        let syncz = try JSON.parse(Array(JSONWriter.write(IstiodRenderer.syncz(state, namespace: nil), pretty: false)))
        let ztunnelRows = syncz.array.filter { $0["proxy_type"]?.string == "ztunnel" }
        #expect(ztunnelRows.count == 2 && ztunnelRows.allSatisfy { Set($0["resources"]?.members.keys ?? [:].keys) == [IstiodRenderer.workloadTypeURL, IstiodRenderer.authorizationTypeURL] })
        #expect(syncz.array.count == 2 + topology.proxies.filter { !topology.isAmbient(proxy: $0.index) }.count)
        let ambientz = try JSON.parse(Array(JSONWriter.write(IstiodRenderer.ambientz(state), pretty: false)))
        #expect(ambientz["workloads"]?.array.count == topology.proxies.count + 2 && ambientz["services"]?.array.count == topology.services.count)
    }

    @Test("--dataplane is Istio's; --nodes within 1…500")
    func options() {
        #expect(throws: SimError.self) { var options = SimOptions(); options.dataplane = .ambient; options.meshMode = .linkerd; _ = try SimulatorState(options: options) }
        #expect(throws: SimError.self) { var options = SimOptions(); options.dataplane = .ambient; options.nodes = 0; _ = try SimulatorState(options: options) }
    }

    @Test("meshtop on a mixed mesh: every ztunnel with its node and identities, their certificates in the table beside the sidecars', each service's mode")
    func snapshot() async throws {
        try await InProcessSim.with(adminAddressBase: "127.0.71.1", { $0.dataplane = .mixed }) { sim in
            let topology = sim.simulator.topology
            #expect(sim.targets.filter { $0.kind == .ztunnel }.count == 3)
            #expect(sim.targets.count == 3 + topology.proxies.filter { !topology.isAmbient(proxy: $0.index) }.count, "ambient pods have no target")
            var options = PollerOptions()
            options.istiodURLs = [sim.istiod]
            options.targets = sim.targets
            let (round, snapshot) = try await MeshesTests.pollTwice(options)
            #expect(round.sources.allSatisfy { $0.ok }, "\(round.sources.filter { !$0.ok })")
            let ztunnels = try #require(snapshot.ztunnels)
            #expect(ztunnels.map(\.node).sorted() == topology.nodeNames)
            #expect(ztunnels.allSatisfy { $0.answered && $0.health.health == .healthy && $0.version == sim.simulator.options.istioVersion })
            #expect(ztunnels.allSatisfy { $0.workloadSync?.status == .synced }, "WDS from istiod's syncz")
            #expect(ztunnels.map(\.workloads).reduce(0, +) == topology.proxies.filter { topology.isAmbient(proxy: $0.index) }.count)
            // Every ambient identity's leaf is in the certificate table, seen on its ztunnel.
            for ztunnel in ztunnels {
                for identity in ztunnel.identities {
                    let leaf = snapshot.certificates.first { $0.kind == .leaf && $0.spiffeID == identity.identity && $0.proxyIDs.contains(ztunnel.id) }
                    #expect(leaf?.notAfter == identity.notAfter, "\(ztunnel.id) \(identity.identity)")
                }
            }
            #expect(snapshot.certificates.contains { $0.kind == .leaf && $0.proxyIDs.allSatisfy { !$0.hasPrefix("ztunnel") } }, "the sidecars' too")
            for service in topology.services {
                let mode = snapshot.services.first { $0.name == service.name }?.dataplaneMode
                #expect(mode == (service.ambient ? .ambient : .sidecar), "\(service.name)")
            }
            let reviews = try #require(snapshot.services.first { $0.name == "reviews" })
            if reviews.dataplaneMode == .ambient, reviews.traffic.rps == 0 {
                #expect(reviews.health.health == .unknown && reviews.health.reason.contains("L4 only"))
            }
            // L4 from the ztunnels (destination reporter): bytes as the simulator's flows carry them.
            for service in topology.services where service.ambient {
                let model = topology.edges.filter { $0.destination == service.index }.map(\.rps).reduce(0, +)
                let l4 = try #require(snapshot.services.first { $0.name == service.name }?.traffic.l4, "\(service.name)")
                let expected = model * Double(ZtunnelRenderer.requestBytes)
                #expect(abs(l4.bytesInPerSecond - expected) / expected < 0.1, "\(service.name): \(l4.bytesInPerSecond) B/s in vs the model's \(expected)")
                #expect(abs(l4.bytesOutPerSecond / l4.bytesInPerSecond - Double(ZtunnelRenderer.responseBytes) / Double(ZtunnelRenderer.requestBytes)) < 0.01)
                #expect(l4.connectionsPerSecond > 0 && abs((l4.mtlsShare ?? 0) - 1) < 1e-9)
            }
            for service in topology.services where !service.ambient {
                #expect(snapshot.services.first { $0.name == service.name }?.traffic.l4 == nil, "no ztunnel measures \(service.name)")
            }
            // Between two ambient services only the ztunnels see the calls: an L4 edge.
            let l4Edges = snapshot.edges.filter { $0.protocol == "tcp" }
            #expect(l4Edges.contains { $0.id == "default/productpage->default/reviews" && $0.origin == .ztunnel && $0.mtls && $0.traffic.rps == 0 },
                    "\(snapshot.edges.map { ($0.id, $0.protocol) })")
            // An ambient caller has no proxy to report its calls: the callee's sidecar does, and
            // names the caller (Istio's destination labels), so the edge is there with its RED.
            for edge in topology.edges {
                let (source, destination) = (topology.services[edge.source], topology.services[edge.destination])
                guard source.ambient, !destination.ambient else { continue }
                let found = snapshot.edges.first { $0.id == "\(source.namespace)/\(source.name)->\(destination.namespace)/\(destination.name)" }
                #expect(found?.protocol == "http" && abs((found?.traffic.rps ?? 0) - edge.rps) / edge.rps < 0.1, "\(source.name) → \(destination.name): \(String(describing: found))")
            }
            let export = try JSONSerialization.jsonObject(with: SnapshotExport(snapshot).json()) as? [String: Any]
            #expect((export?["ztunnels"] as? [[String: Any]])?.count == 3)
        }
    }

    @Test("scenarios: a ztunnel that goes down keeps its last identities, marked unanswered with its source failing; ztunnel-cert-expiring brings a node's leaves near their end")
    func scenarios() async throws {
        try await InProcessSim.with(adminAddressBase: "127.0.72.1", { options in
            options.dataplane = .ambient
            options.nodes = 2
            options.scenarios = [ScenarioEvent(kind: .ztunnelCertExpiring, at: 0, settings: ["node": "sim-worker-1", "left": "1h"])]
        }) { sim in
            var options = PollerOptions()
            options.istiodURLs = [sim.istiod]
            options.targets = sim.targets
            options.timeout = 5
            let poller = try MeshPoller(options: options)
            var deriver = SnapshotDeriver()
            let first = deriver.derive(try #require(await poller.poll()))
            let before = try #require(first.ztunnels?.first { $0.node == "sim-worker-2" })
            #expect(before.answered && !before.identities.isEmpty)
            let expiring = try #require(first.ztunnels?.first { $0.node == "sim-worker-1" })
            let left = try #require(expiring.soonestExpiry).timeIntervalSinceNow
            #expect(left > 3000 && left <= 3601, "\(left) s left")
            // Down between the two polls (set directly: a scenario's wall-clock start would race
            // the first poll on a loaded machine); the scenario itself is checked below.
            sim.simulator.mutate { $0.ztunnelsDown.insert(1) }
            try await sim.server.reconcile()
            let round = try #require(await poller.poll())
            let second = deriver.derive(round)
            await poller.shutdown()
            let down = try #require(second.ztunnels?.first { $0.node == "sim-worker-2" })
            #expect(!down.answered && down.identities == before.identities && down.health.health == .unknown)
            #expect(round.sources.contains { $0.name == "proxy \(down.id)" && !$0.ok && $0.lastSuccess != nil })
            #expect(!round.syncz.contains { $0.proxyID == down.id }, "istiod forgets it")
        }
        #expect(throws: SimError.self) {
            var options = SimOptions()
            options.scenarios = [ScenarioEvent(kind: .ztunnelDown, at: 0, settings: ["node": "sim-worker-1"])]
            _ = try SimulatorState(options: options)
        }
        var options = SimOptions()
        options.dataplane = .ambient
        options.scenarios = [ScenarioEvent(kind: .ztunnelDown, at: 10, duration: 20, settings: ["node": "sim-worker-2"])]
        var state = try SimulatorState(options: options, now: Date(timeIntervalSince1970: 1_795_000_000))
        state.advance(to: Date(timeIntervalSince1970: 1_795_000_015))
        #expect(state.ztunnelsDown == [1])
        state.advance(to: Date(timeIntervalSince1970: 1_795_000_031))
        #expect(state.ztunnelsDown.isEmpty, "back after for=")
    }

    /// Canned answers by path, for a ztunnel that says odd things.
    struct CannedTransport: MeshTransport {
        var answers: [String: String]
        func send(_ request: PermittedRequest) async throws(SourceError) -> MeshResponse {
            guard let body = answers[QueryText.barePath(request.request.path)] else { return MeshResponse(status: 404, body: [], latencyMs: 1) }
            return MeshResponse(status: 200, body: Array(body.utf8), latencyMs: 1)
        }
        func shutdown() async {}
    }

    @Test("a ztunnel certificate whose PEM does not parse is named with its identity, the rest of the dump is still used; pending identities become findings with their reason")
    func badCertificate() async throws {
        let dump = #"""
            {"workloads": [{"name": "a-1", "namespace": "ns", "workloadName": "a", "canonicalName": "a", "protocol": "HBONE", "node": "n1"}],
             "services": [], "policies": [],
             "certificates": [
               {"identity": "spiffe://cluster.local/ns/ns/sa/a", "state": "Available",
                "certChain": [{"pem": "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", "serialNumber": "1",
                               "validFrom": "2026-01-01T00:00:00Z", "expirationTime": "2026-01-02T00:00:00Z"}]},
               {"identity": "spiffe://cluster.local/ns/ns/sa/b", "state": "Unavailable: signing gRPC error: connection refused", "certChain": []}]}
            """#
        let metrics = "# TYPE istio_build gauge\nistio_build{component=\"ztunnel\",tag=\"1.28.0\"} 1\n"
        let client = ZtunnelAdminClient(client: MeshClient(transport: CannedTransport(answers: ["/config_dump": dump, "/stats/prometheus": metrics]), policy: .readOnly))
        let target = ScrapeTarget(url: "http://10.0.0.9:15000", labels: ["kind": "ztunnel", "proxy": "ztunnel-x.istio-system", "node": "n1"])
        let observation = await client.observe(target, plan: ObservationPlan()).observation
        #expect(observation.errors.isEmpty, "a bad entry does not fail the ztunnel: \(observation.errors)")
        #expect(observation.ztunnel?.problems.contains { $0.hasPrefix("identity spiffe://cluster.local/ns/ns/sa/a: its certificate chain does not parse") } == true)
        #expect(observation.ztunnel?.workloads.count == 1 && observation.secrets.isEmpty)
        var round = PollRound(at: Date())
        round.proxies[target.proxyID] = observation
        var deriver = SnapshotDeriver()
        let snapshot = deriver.derive(round)
        let ztunnel = try #require(snapshot.ztunnels?.first)
        #expect(ztunnel.node == "n1" && ztunnel.version == "1.28.0" && ztunnel.health.health == .critical && ztunnel.health.reason.contains("connection refused"))
        #expect(snapshot.findings.contains { $0.code == "ztunnel-identity" && $0.subject == "spiffe://cluster.local/ns/ns/sa/b" && $0.severity == .critical })
        #expect(snapshot.findings.contains { $0.code == "ztunnel-dump" && $0.message.contains("spiffe://cluster.local/ns/ns/sa/a") })
        #expect(snapshot.workloads.first { $0.name == "a" }?.dataplaneMode == .ambient, "a workload only the dump names")
    }
}
