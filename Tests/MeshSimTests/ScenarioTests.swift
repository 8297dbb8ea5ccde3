import Foundation
import MeshModel
import MeshTestSupport
import Testing
@testable import MeshSim

@Suite("Scenarios", .cpuHeavy)
struct ScenarioTests {
    @Test("Inline scenarios parse; unknown kinds, missing targets and bad values are rejected")
    func parsing() throws {
        let event = try ScenarioEvent.parse(inline: "error-spike service=reviews at=30s for=1m rate=0.4")
        #expect(event.kind == .errorSpike && event.at == 30 && event.duration == 60 && event.settings["rate"] == "0.4")
        #expect(throws: SimError.self) { try ScenarioEvent.parse(inline: "meteor-strike service=reviews") }
        #expect(throws: SimError.self) { try ScenarioEvent.parse(inline: "error-spike at=5s") }
        #expect(throws: SimError.self) { try ScenarioEvent.parse(inline: "error-spike service=reviews at=soon") }
        #expect(throws: SimError.self) { try ScenarioEvent.parse(inline: "weight-change virtualService=reviews") }
        #expect(throws: SimError.self) { try SimHarness.state { $0.scenarios = [try! ScenarioEvent.parse(inline: "error-spike service=nope")] } }
    }

    @Test("A YAML scenario file gives the same events as the inline form")
    func yamlFile() throws {
        let yaml = """
            scenarios:
              - kind: weight-change
                virtualService: reviews
                at: 30s
                weights: {v1: 0, v2: 50, v3: 50}
              - kind: proxy-down
                proxy: details
                at: 10s
                for: 20s
            """
        let events = try ScenarioEvent.parse(yaml: yaml, file: "test.yaml")
        #expect(events.count == 2)
        #expect(events[0].settings["weights"] == "v1:0,v2:50,v3:50")
        #expect(events[1].duration == 20)
        #expect(throws: SimError.self) { try ScenarioEvent.parse(yaml: "scenarios: 3", file: "bad.yaml") }
        #expect(throws: SimError.self) { try ScenarioEvent.parse(yaml: "scenarios: [{kind: error-spike}]", file: "bad.yaml") }
    }

    static func serverErrorShare(_ state: SimulatorState, destination: String) throws -> Double {
        var total = 0.0, errors = 0.0
        for proxy in state.topology.proxies {
            for sample in try SimHarness.exposition(state, proxy: proxy.index)
            where sample.name == "istio_requests_total" && sample.labels["reporter"] == "destination"
                && sample.labels["destination_app"] == destination {
                total += sample.value
                if sample.labels["response_code"]!.hasPrefix("5") { errors += sample.value }
            }
        }
        return errors / total
    }

    @Test("An error spike raises the 5xx share of the service only while it lasts")
    func errorSpike() throws {
        var state = try SimHarness.state {
            $0.scenarios = [try! ScenarioEvent.parse(inline: "error-spike service=details at=60s for=120s rate=0.4")]
        }
        state.advance(to: SimHarness.at(60))
        let before = try Self.serverErrorShare(state, destination: "details")
        let reviewsBefore = try Self.serverErrorShare(state, destination: "reviews")
        state.advance(to: SimHarness.at(180))
        let during = try Self.serverErrorShare(state, destination: "details")
        #expect(before < 0.02)
        #expect(during > 0.15, "cumulative share after 120 s of 40 % errors")
        #expect(try Self.serverErrorShare(state, destination: "reviews") < 0.02 + reviewsBefore)
        #expect(state.journal.contains { $0.contains("error-spike started") })
        state.advance(to: SimHarness.at(200))
        #expect(state.journal.contains { $0.contains("error-spike ended") })
    }

    @Test("A weight change updates configz, every config dump and the traffic split together")
    func weightChange() throws {
        var state = try SimHarness.state {
            $0.scenarios = [try! ScenarioEvent.parse(inline: "weight-change virtualService=reviews at=10s weights=v1:0,v2:50,v3:50")]
        }
        state.advance(to: SimHarness.at(11))
        let configz = try SimHarness.json(ConfigRenderer.configz(state)) as! [[String: Any]]
        let reviews = configz.first { $0["kind"] as? String == "VirtualService" && ($0["metadata"] as! [String: Any])["name"] as? String == "reviews" }!
        let route = ((reviews["spec"] as! [String: Any])["http"] as! [[String: Any]])[0]["route"] as! [[String: Any]]
        #expect(route.map { $0["weight"] as? Int } == [0, 50, 50])
        for proxy in state.topology.proxies where proxy.type == "sidecar" {
            let dump = try SimHarness.json(try ConfigDumpRenderer.render(SimHarness.context(state, proxy: proxy.index, at: 11),
                                                                         query: ["resource": "dynamic_route_configs"]))
            let text = String(decoding: try JSONSerialization.data(withJSONObject: dump), as: UTF8.self)
            #expect(text.contains("\"weight\":0"), "proxy \(proxy.id) got the new weights")
        }
        let before = try TrafficTests.istioTotals(state)
        state.advance(to: SimHarness.at(300))
        let after = try TrafficTests.istioTotals(state)
        let v1Growth = (after["source productpage-v1->reviews-v1 200"] ?? 0) - (before["source productpage-v1->reviews-v1 200"] ?? 0)
        let v2Growth = (after["source productpage-v1->reviews-v2 200"] ?? 0) - (before["source productpage-v1->reviews-v2 200"] ?? 0)
        #expect(v1Growth == 0)
        #expect(v2Growth > 3000)
        // istiod pushed: CDS/RDS nonces changed and every proxy acknowledged them.
        #expect(state.topology.proxies.allSatisfy { state.syncStatus(ofProxy: $0.index)[.rds] == .synced })
    }

    @Test("A stale proxy shows sent ≠ acked and keeps its old routes until it recovers")
    func proxyStale() throws {
        var state = try SimHarness.state {
            $0.scenarios = [try! ScenarioEvent.parse(inline: "proxy-stale proxy=productpage at=5s for=60s"),
                            try! ScenarioEvent.parse(inline: "weight-change virtualService=reviews at=10s weights=v1:100,v2:0,v3:0")]
        }
        state.advance(to: SimHarness.at(20))
        let productpage = SimHarness.proxyIndex(state, "productpage")
        #expect(state.syncStatus(ofProxy: productpage)[.cds] == .stale)
        #expect(state.syncStatus(ofProxy: productpage)[.lds] == .synced)
        #expect(state.routing(forProxy: productpage).revision == 1, "still on the old weights")
        let syncz = try SimHarness.json(IstiodRenderer.syncz(state, namespace: nil)) as! [[String: Any]]
        let row = syncz.first { ($0["proxy"] as! String).hasPrefix("productpage") }!
        #expect(row["cluster_sent"] as? String != row["cluster_acked"] as? String)
        state.advance(to: SimHarness.at(70))
        #expect(state.syncStatus(ofProxy: productpage)[.cds] == .synced)
        #expect(state.routing(forProxy: productpage).revision == 2)
    }

    @Test("A proxy goes away (gone from syncz and endpoints, no traffic) and comes back restarted")
    func proxyDown() throws {
        var state = try SimHarness.state { $0.scenarios = [try! ScenarioEvent.parse(inline: "proxy-down proxy=details at=30s for=30s")] }
        let details = SimHarness.proxyIndex(state, "details")
        state.advance(to: SimHarness.at(40))
        #expect(!state.proxies[details].present)
        let syncz = try SimHarness.json(IstiodRenderer.syncz(state, namespace: nil)) as! [[String: Any]]
        #expect(!syncz.contains { ($0["proxy"] as! String).hasPrefix("details") })
        #expect(state.traffic.inbound[details].allSatisfy { state.traffic.flows[$0].rate == 0 })
        state.advance(to: SimHarness.at(61))
        #expect(state.proxies[details].present)
        #expect(state.syncStatus(ofProxy: details)[.cds] == .synced)
        let inbound = try SimHarness.requestCount(state, proxy: details)
        #expect(inbound < 200, "counters restarted at zero one second ago, got \(inbound)")
        let uptime = EnvoyAdminRenderer.serverInfo(SimHarness.context(state, proxy: details, at: 61))["uptime_current_epoch"]
        #expect(uptime == .string("0s") || uptime == .string("1s"))
    }

    @Test("Expiring and expired certificate scenarios hold rotation back")
    func certificates() throws {
        var state = try SimHarness.state {
            $0.scenarios = [try! ScenarioEvent.parse(inline: "cert-expiring workload=details-v1 left=2h at=1s"),
                            try! ScenarioEvent.parse(inline: "cert-expired workload=ratings-v1 ago=1h at=1s")]
        }
        state.advance(to: SimHarness.at(2))
        let details = state.proxies[SimHarness.proxyIndex(state, "details")].leaf!
        let ratings = state.proxies[SimHarness.proxyIndex(state, "ratings")].leaf!
        #expect(abs(details.notAfter.timeIntervalSince(SimHarness.at(1)) - 7200) < 1)
        #expect(ratings.notAfter < SimHarness.at(2))
        state.advance(to: SimHarness.at(4 * 3600))
        #expect(state.proxies[SimHarness.proxyIndex(state, "details")].leaf! == details, "not rotated while pinned")
    }

    @Test("Configured STALE, NOT SENT and ERROR proxies show up in syncz as istioctl would derive them")
    func configuredSyncProblems() throws {
        let state = try SimHarness.state { $0.services = 30; $0.staleProxies = 2; $0.notSentProxies = 2; $0.errorProxies = 1 }
        var counts: [SyncStatus: Int] = [:]
        for proxy in state.topology.proxies {
            let status = state.syncStatus(ofProxy: proxy.index)
            if status[.cds] == .stale { counts[.stale, default: 0] += 1 }
            if status[.rds] == .notSent { counts[.notSent, default: 0] += 1 }
            if status[.cds] == .error { counts[.error, default: 0] += 1 }
            #expect(status[.ecds] == .notSent, "no extension configs in this mesh")
        }
        #expect(counts == [.stale: 2, .notSent: 2, .error: 1])
        let stale = state.topology.proxies.first { state.syncStatus(ofProxy: $0.index)[.cds] == .stale }!
        let sentTime = state.proxies[stale.index].xds["CDS"]!.sentTime!
        #expect(SimHarness.t0.timeIntervalSince(sentTime) > 60, "stale for more than a minute at start")
        let errored = state.topology.proxies.first { state.syncStatus(ofProxy: $0.index)[.cds] == .error }!
        let dump = JSONWriter.string(try ConfigDumpRenderer.render(SimHarness.context(state, proxy: errored.index), query: ["resource": "dynamic_active_clusters"]))
        #expect(dump.contains("\"error_state\"") && dump.contains("NACKED"))
    }
}
