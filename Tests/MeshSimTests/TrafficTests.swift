import Foundation
import MeshTestSupport
import Testing
@testable import MeshSim

/// Counters must agree across every view Envoy and Istio offer, because they are all sums of
/// the same flows (the issue's "agree across" requirement).
@Suite("Traffic model", .cpuHeavy)
struct TrafficTests {
    /// Sums `istio_requests_total` by (reporter, source workload, destination workload) over all proxies.
    static func istioTotals(_ state: SimulatorState) throws -> [String: Double] {
        var totals: [String: Double] = [:]
        for proxy in state.topology.proxies {
            for sample in try SimHarness.exposition(state, proxy: proxy.index) where sample.name == "istio_requests_total" {
                let key = "\(sample.labels["reporter"]!) \(sample.labels["source_workload"]!)->\(sample.labels["destination_workload"]!) \(sample.labels["response_code"]!)"
                totals[key, default: 0] += sample.value
            }
        }
        return totals
    }

    @Test("istio_requests_total agrees between reporter=source and reporter=destination, per code")
    func reportersAgree() throws {
        var state = try SimHarness.state()
        state.advance(to: SimHarness.at(120))
        let totals = try Self.istioTotals(state)
        let sourceKeys = totals.keys.filter { $0.hasPrefix("source ") }
        #expect(sourceKeys.count >= 6)
        for key in sourceKeys {
            let destinationKey = "destination " + key.dropFirst("source ".count)
            #expect(totals[key] == totals[destinationKey], "\(key)")
        }
        #expect(totals.keys.filter { $0.hasPrefix("destination ") }.count == sourceKeys.count)
    }

    @Test("Cluster stats, /clusters host counters and istio metrics give the same totals")
    func envoyViewsAgree() throws {
        var state = try SimHarness.state()
        state.advance(to: SimHarness.at(90))
        let productpage = SimHarness.proxyIndex(state, "productpage")
        let samples = try SimHarness.exposition(state, proxy: productpage)
        let istio = samples.filter { $0.name == "istio_requests_total" && $0.labels["reporter"] == "source" }
            .reduce(0) { $0 + $1.value }
        let clusterTotals = samples.filter { $0.name == "envoy_cluster_upstream_rq_total" && $0.labels["cluster_name"]!.hasPrefix("outbound|") }
            .reduce(0) { $0 + $1.value }
        let byClass = samples.filter { $0.name == "envoy_cluster_upstream_rq" && $0.labels["response_code_class"] != nil && $0.labels["cluster_name"]!.hasPrefix("outbound|") }
            .reduce(0) { $0 + $1.value }
        let clusters = try SimHarness.json(EnvoyAdminRenderer.clusters(SimHarness.context(state, proxy: productpage, at: 90))) as! [String: Any]
        var hostTotal = 0.0
        var hostErrors = 0.0
        for cluster in clusters["cluster_statuses"] as! [[String: Any]] where (cluster["name"] as! String).hasPrefix("outbound|") {
            for host in cluster["host_statuses"] as? [[String: Any]] ?? [] {
                for stat in host["stats"] as! [[String: Any]] {
                    let value = Double(stat["value"] as? String ?? "0")!
                    if stat["name"] as? String == "rq_total" { hostTotal += value }
                    if stat["name"] as? String == "rq_error" { hostErrors += value }
                }
            }
        }
        let fiveHundreds = istio.isZero ? 0 : samples.filter { $0.name == "istio_requests_total" && $0.labels["reporter"] == "source" && $0.labels["response_code"]!.hasPrefix("5") }
            .reduce(0) { $0 + $1.value }
        #expect(istio > 1000)
        #expect(clusterTotals == istio)
        #expect(byClass == istio)
        #expect(hostTotal == istio)
        #expect(hostErrors == fiveHundreds)
        // The histogram counts every request once.
        let histogramCount = samples.filter { $0.name == "envoy_cluster_upstream_rq_time_count" && $0.labels["cluster_name"]!.hasPrefix("outbound|") }
            .reduce(0) { $0 + $1.value }
        #expect(histogramCount == istio)
    }

    @Test("The observed split between reviews subsets follows the 50/30/20 weights")
    func weightsFollowed() throws {
        var state = try SimHarness.state()
        state.advance(to: SimHarness.at(600))
        let totals = try Self.istioTotals(state)
        var perVersion: [String: Double] = [:]
        for (key, value) in totals where key.hasPrefix("source productpage-v1->reviews-") {
            let version = String(key.split(separator: " ")[1].split(separator: "-").last!)
            perVersion[version, default: 0] += value
        }
        let total = perVersion.values.reduce(0, +)
        #expect(total > 20_000)
        #expect(abs(perVersion["v1"]! / total - 0.5) < 0.02)
        #expect(abs(perVersion["v2"]! / total - 0.3) < 0.02)
        #expect(abs(perVersion["v3"]! / total - 0.2) < 0.02)
    }

    @Test("Counters advance with time and never go backwards")
    func monotonic() throws {
        var state = try SimHarness.state()
        var previous = 0.0
        for second in stride(from: 10.0, through: 60, by: 10) {
            state.advance(to: SimHarness.at(second))
            let total = try Self.istioTotals(state).values.reduce(0, +)
            #expect(total > previous)
            previous = total
        }
    }

    @Test("Latency histograms use Envoy's default buckets and land around the edge's median")
    func histograms() throws {
        var state = try SimHarness.state()
        state.advance(to: SimHarness.at(300))
        let gateway = SimHarness.proxyIndex(state, "istio-ingressgateway")
        let buckets = try SimHarness.exposition(state, proxy: gateway)
            .filter { $0.name == "istio_request_duration_milliseconds_bucket" && $0.labels["response_code"] == "200" }
        #expect(buckets.map { $0.labels["le"]! } == PrometheusWriter.bucketLabels)
        let total = buckets.last!.value
        let below25 = buckets.first { $0.labels["le"] == "25" }!.value
        let below100 = buckets.first { $0.labels["le"] == "100" }!.value
        // Gateway → productpage has a 38 ms median: well under half below 25 ms, most below 100 ms.
        #expect(below25 / total < 0.4)
        #expect(below100 / total > 0.85)
    }

    @Test("Every proxy's /stats/prometheus is valid exposition text in a generated mesh")
    func expositionValidity() throws {
        var state = try SimHarness.state { $0.services = 40 }
        state.advance(to: SimHarness.at(30))
        for proxy in state.topology.proxies {
            let text = EnvoyStatsRenderer.prometheus(SimHarness.context(state, proxy: proxy.index, at: 30))
            #expect(throws: Never.self) { try ExpositionCheck.parse(text) }
        }
    }

    @Test("?filter= keeps the matching families whole, and each family reads the same with and without the tables it may skip")
    func statsFilter() throws {
        var state = try SimHarness.state()
        state.advance(to: SimHarness.at(30))
        let proxy = SimHarness.proxyIndex(state, "productpage")
        let derived = SimHarness.context(state, proxy: proxy, at: 30)
        let bare = ProxyContext(state: state, proxy: proxy, now: SimHarness.at(30), derive: false)
        let full = EnvoyStatsRenderer.prometheus(derived)
        func include(_ pattern: String) throws -> (String) -> Bool {
            let regex = try NSRegularExpression(pattern: pattern)
            return { regex.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil }
        }
        func render(_ pattern: String) throws -> String {
            let matches = try include(pattern)
            return EnvoyStatsRenderer.prometheus(EnvoyStatsRenderer.needsTables(include: matches) ? derived : bare, include: matches)
        }
        let istio = try render("istio_request")
        let names = Set(try ExpositionCheck.parse(istio).samples.map(\.name))
        #expect(names.allSatisfy { $0.hasPrefix("istio_request") })
        #expect(names.contains("istio_requests_total") && names.contains("istio_request_duration_milliseconds_bucket"))
        let istioLines = full.split(separator: "\n").filter { $0.hasPrefix("istio_request") || $0.hasPrefix("# TYPE istio_request") }
        #expect(istio.split(separator: "\n").count == istioLines.count)
        #expect(!EnvoyStatsRenderer.needsTables(include: try include("istio_request")))
        // Every family, filtered alone, gives exactly its lines of the full scrape: a family that
        // uses the tables but is missing from `familiesUsingTables` would read zeros here.
        let families = full.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) }
        #expect(families.count > 20)
        for family in families {
            let lines = full.split(separator: "\n").filter { line in
                let name = line.hasPrefix("# TYPE ") ? line.split(separator: " ")[2] : line.prefix { $0 != "{" && $0 != " " }
                return [family, family + "_bucket", family + "_sum", family + "_count"].contains(String(name))
            }
            #expect(try render("^\(family)$").split(separator: "\n") == lines, "\(family)")
        }
    }
}
