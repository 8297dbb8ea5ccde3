import Foundation
import MeshModel
import MeshTestSupport
import Testing
@testable import MeshPoller
@testable import MeshSim
@testable import MeshSources

/// `meshtop sim --mesh kuma|consul|envoy-gateway`: Envoys without Istio, named the way each mesh
/// names them, held against the real captures (Kuma's, a real Envoy 1.40's default tags) and
/// read back by meshtop from Envoy's own statistics.
@Suite("Plain-Envoy simulator flavours")
struct EnvoyFlavourTests {
    static let flavours: [(SimMesh, MeshKind)] = [(.kuma, .kuma), (.consul, .consul), (.envoyGateway, .envoyGateway)]

    static func state(_ mesh: SimMesh) throws -> SimulatorState {
        var options = SimOptions()
        options.meshMode = try #require(SimMeshMode(rawValue: mesh.rawValue))
        var state = try SimulatorState(options: options, now: Date(timeIntervalSince1970: 1_795_000_000))
        state.advance(to: Date(timeIntervalSince1970: 1_795_000_060))
        return state
    }

    static func context(_ state: SimulatorState, _ pod: String) throws -> ProxyContext {
        ProxyContext(state: state, proxy: try #require(state.proxy(matching: pod)), now: Date(timeIntervalSince1970: 1_795_000_060))
    }

    @Test("each flavour's cluster names are that mesh's, and meshtop maps every one back to its service, namespace and subset",
          arguments: [SimMesh.kuma, .consul, .envoyGateway])
    func clusterNames(_ mesh: SimMesh) throws {
        let kind = try #require(Self.flavours.first { $0.0 == mesh }?.1)
        let state = try Self.state(mesh)
        let context = try Self.context(state, "productpage")
        #expect(!context.outboundClusters.isEmpty)
        for cluster in context.outboundClusters {
            #expect(EnvoyClusterNames.flavour(of: cluster.name) == kind, "\(cluster.name)")
            let destination = try #require(EnvoyClusterNames.destination(cluster.name, flavour: kind), "\(cluster.name)")
            #expect(destination.service == cluster.service.name && destination.namespace == cluster.service.namespace, "\(cluster.name) → \(destination)")
            // Only Consul's names carry the subset; Kuma hashes it, Envoy Gateway numbers its rules.
            if mesh == .consul { #expect(destination.version == (cluster.subset ?? "unknown"), "\(cluster.name)") }
        }
        if mesh == .kuma {
            // Kuma's legacy names as in its own captures: `<svc>_<ns>_svc_<port>`, a split's `-<16 hex>`.
            let pattern = try Regex(#"^[a-z0-9-]+_[a-z0-9-]+_svc_[0-9]+(-[0-9a-f]{16})?$"#)
            let captured = try Self.kumaCapturedServiceClusters()
            #expect(!captured.isEmpty && captured.allSatisfy { $0.wholeMatch(of: pattern) != nil }, "\(captured)")
            #expect(context.outboundClusters.allSatisfy { $0.name.wholeMatch(of: pattern) != nil })
            #expect(context.outboundClusters.contains { $0.name.contains("-") && $0.subset != nil }, "a split's subsets get the hash")
        }
    }

    /// Service clusters (`…_svc_…`) named in Kuma's captured Envoy stats.
    static func kumaCapturedServiceClusters() throws -> Set<String> {
        let path = "kuma/app/kuma-dp/pkg/dataplane/metrics/testdata/counter-with-labels.in"
        let text = String(decoding: try Fixtures.data(path), as: UTF8.self)
        let names = text.matches(of: try Regex(#"envoy_cluster_name="([^"]*_svc_[^"]*)""#)).compactMap { $0.output[1].substring.map(String.init) }
        return Set(names)
    }

    /// The label names of each request statistic, in order, by the statistic's suffix
    /// (`upstream_rq` → `envoy_response_code,envoy_cluster_name`).
    static func layout(_ text: String) -> [String: Set<String>] {
        let suffixes = ["upstream_rq", "upstream_rq_xx", "upstream_rq_completed", "upstream_rq_total", "upstream_rq_time_bucket",
                        "membership_total", "membership_healthy", "upstream_cx_active", "ssl_handshake",
                        "downstream_rq_xx", "downstream_rq_total", "downstream_rq_completed", "downstream_rq_time_bucket"]
        var layout: [String: Set<String>] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && (line.hasPrefix("envoy_cluster_") || line.hasPrefix("envoy_http_")) {
            guard let brace = line.firstIndex(of: "{") else { continue }
            let name = line[..<brace]
            guard let suffix = suffixes.filter({ name.hasSuffix("_" + $0) }).max(by: { $0.count < $1.count }) else { continue }
            let labels = line[brace...].matches(of: /([a-z_]+)="/).map { String($0.output.1) }
            layout[suffix, default: []].insert(labels.joined(separator: ","))
        }
        return layout
    }

    @Test("a flavour's /stats/prometheus is laid out as a real Envoy 1.40 lays out its default tags: no Istio families, the same labels in the same order",
          arguments: [SimMesh.kuma, .consul, .envoyGateway])
    func statsLayout(_ mesh: SimMesh) throws {
        guard Fixtures.available else { return }
        let real = Self.layout(String(decoding: try Fixtures.data("envoy-1.40/frontend/stats-prometheus.txt"), as: UTF8.self))
        let state = try Self.state(mesh)
        let text = EnvoyStatsRenderer.prometheus(try Self.context(state, "productpage"))
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("istio_") || $0.hasPrefix("# TYPE istio_") }, "no Istio stats filter in \(mesh.rawValue)")
        #expect(!text.contains("cluster_name=\"outbound|"), "no Istio cluster names")
        let simulated = Self.layout(text)
        #expect(simulated.keys.count >= 10, "\(simulated.keys.sorted())")
        for (suffix, labelSets) in simulated {
            let realSets = try #require(real[suffix], "\(suffix) is not in the real Envoy's output")
            #expect(labelSets.isSubset(of: realSets), "\(suffix): \(labelSets) vs real \(realSets)")
        }
        // Counters, then gauges, then histograms, as Envoy writes them.
        let types = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[3]) }
        #expect(types == types.sorted { ["counter": 0, "gauge": 1, "histogram": 2][$0]! < ["counter": 0, "gauge": 1, "histogram": 2][$1]! })
        // The exposition is what meshtop's parser accepts.
        _ = try ExpositionParser.parse(Array(text.utf8), format: .prometheus)
        // Its `?filter=` is matched against the full hierarchical names, as Envoy matches it.
        let filtered = EnvoyStatsRenderer.prometheus(try Self.context(state, "productpage")) { name in
            name.wholeMatch(of: try! Regex(EnvoyRequestStat.filter)) != nil
        }
        #expect(filtered.contains("upstream_rq_xx") && !filtered.contains("membership_total") && !filtered.contains("envoy_server_"))
    }

    @Test("meshtop on each flavour: services and edges from Envoy's own stats, rates within 10 % of the model, no istiod, mTLS where the mesh has it",
          .timingSensitive, arguments: [SimMesh.kuma, .consul, .envoyGateway])
    func snapshot(_ mesh: SimMesh) async throws {
        let kind = try #require(Self.flavours.first { $0.0 == mesh }?.1)
        let base = ["kuma": "127.0.67.1", "consul": "127.0.68.1", "envoy-gateway": "127.0.69.1"][mesh.rawValue]!
        try await InProcessSim.with(adminAddressBase: base, { $0.meshMode = SimMeshMode(rawValue: mesh.rawValue)! }) { sim in
            #expect(sim.targets.allSatisfy { $0.kind == .istioEnvoy && $0.labels["flavour"] == nil }, "the flavour is detected, not told")
            let istiod = try await TestHTTP.get(sim.istiod + "/debug/syncz")
            #expect(istiod.status == 404 && istiod.body.contains("no istiod"), "\(istiod)")
            var options = PollerOptions()
            options.targets = sim.targets
            let (round, snapshot) = try await MeshesTests.pollTwice(options)
            #expect(round.sources.allSatisfy { $0.ok }, "\(round.sources.filter { !$0.ok })")

            let topology = sim.simulator.topology
            for service in snapshot.services {
                #expect(service.origin == kind, "\(service.name): \(String(describing: service.origin))")
            }
            let byName = Dictionary(uniqueKeysWithValues: snapshot.services.map { ($0.name, $0) })
            for name in ["productpage", "details", "reviews", "ratings"] {
                let index = try #require(topology.services.firstIndex { $0.name == name })
                let model = topology.edges.filter { $0.destination == index }.map(\.rps).reduce(0, +)
                let measured = try #require(byName[name]).traffic.rps
                #expect(abs(measured - model) / model < 0.1, "\(name): \(measured) rps vs the model's \(model)")
                #expect(byName[name]?.traffic.latencyMs.p99 != nil, "\(name): latency from upstream_rq_time")
            }
            let edges = Dictionary(uniqueKeysWithValues: snapshot.edges.map { ($0.id, $0) })
            #expect(Set(edges.keys) == ["default/productpage->default/details", "default/productpage->default/reviews",
                                        "default/reviews->default/ratings", "istio-system/istio-ingressgateway->default/productpage"],
                    "only edges that carried requests (\(edges.keys.sorted()))")
            // A dotted name with dashes (Consul's `istio-ingressgateway.istio-system.dc1…`) comes
            // back whole through the proxy's own cluster list, not as service `istio`.
            #expect(!snapshot.services.contains { $0.name == "istio" || $0.namespace == "system" })
            for edge in edges.values { #expect(edge.mtls == (mesh != .envoyGateway), "\(edge.id)") }
            #expect(snapshot.proxies.count == topology.proxies.count)
            #expect(snapshot.workloads.count == topology.workloads.count, "workloads from the targets' labels, without istiod")
            #expect(snapshot.proxies.allSatisfy { $0.origin == kind && $0.serverState == "LIVE" && $0.istioVersion == nil },
                    "\(snapshot.proxies.map { ($0.id, $0.origin, $0.istioVersion) })")
            if mesh == .consul {
                let shares = try #require(edges["default/productpage->default/reviews"]).versionShare
                #expect(Set(shares.keys) == ["v1", "v2", "v3"], "Consul's subset names are versions: \(shares)")
            }
        }
    }
}
