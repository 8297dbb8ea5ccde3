import Foundation
import MeshModel
import Testing
@testable import MeshPoller
@testable import MeshSim
@testable import MeshSources
import MeshTestSupport

/// The Prometheus source against a real Prometheus server (Debian's `prometheus` package, which
/// `.ci/run` installs) scraping the simulated mesh every second, compared with the direct path.
@Suite("Prometheus end to end", .timingSensitive, .serialized, .enabled(if: PrometheusServer.binary != nil, "prometheus is not installed (apt-get install prometheus)"))
struct PrometheusEndToEndTests {
    @Test("Service and edge RED metrics from a real Prometheus agree with polling the proxies within 10 %; errors name the source")
    func agreesWithDirectPath() async throws {
        var options = SimOptions()
        options.istiodPort = 0
        options.adminPort = 0
        options.adminAddressBase = "127.0.66.1"
        let server = SimServer(simulator: try MeshSimulator(options: options), threads: 2)
        let istiod = try await server.start()
        let ticker = Task { await server.run { _ in } }
        let simTargets = TargetsFile.targets(topology: server.simulator.topology, urls: server.adminURLs())
        let targets = simTargets.map { ScrapeTarget(url: $0.url, labels: Dictionary(uniqueKeysWithValues: $0.labels)) }
        let prometheus = try PrometheusServer(config: TargetsFile.prometheusConfig(simTargets, scrapeInterval: "1s"))
        defer { prometheus.stop() }
        do {
            try await prometheus.waitUntilReady()

            var direct = PollerOptions()
            direct.istiodURLs = [istiod]
            direct.targets = targets
            direct.timeout = 30 // not a deadline test: a loaded suite must not fail the direct reads
            let directPoller = try MeshPoller(options: direct)
            var directDeriver = SnapshotDeriver()
            // Proxies' counters are stamped when asked, so the window starts before the poll.
            let baselineAt = Date()
            _ = directDeriver.derive(try #require(await directPoller.poll()))

            // Errors while the windows fill: unreachable, a 404 (wrong base path), bad PromQL (400).
            let client = MeshClient(transport: try DirectHTTPTransport(timeout: 2), policy: .readOnly)
            defer { Task { await client.shutdown() } }
            let refused = PrometheusSource(baseURL: "http://127.0.0.1:\(PrometheusServer.freePort())", client: client)
            await #expect(throws: SourceError.self) { try await refused.read(displayWindow: 60, healthWindow: 300, at: Date()) }
            do { _ = try await refused.query("up", at: Date()) } catch { #expect("\(error)".hasPrefix("prometheus http://127.0.0.1:") && "\(error)".contains("connection refused"), "\(error)") }
            let wrongPath = PrometheusSource(baseURL: prometheus.url + "/prefix", client: client)
            do { _ = try await wrongPath.query("up", at: Date()); Issue.record("a wrong path answered") } catch { #expect("\(error)".contains("HTTP 404"), "\(error)") }
            let real = PrometheusSource(baseURL: prometheus.url, client: client)
            do { _ = try await real.query("sum(rate(istio_requests_total[1m]", at: Date()); Issue.record("bad PromQL answered") } catch {
                #expect("\(error)".contains("HTTP 400") && "\(error)".contains("bad_data"), "\(error)")
            }

            // Both paths over the same minute: the direct poll's baseline was taken at its start.
            try await Task.sleep(nanoseconds: UInt64(max(0, 62 - Date().timeIntervalSince(baselineAt)) * 1e9))
            let secondAt = Date()
            let directSnapshot = directDeriver.derive(try #require(await directPoller.poll()))
            await directPoller.shutdown()
            // Prometheus evaluated over the same window, ending at the same instant: tail
            // quantiles rest on a few requests in one bucket, so windows a few seconds apart
            // differ by more than sampling noise allows.
            var viaPrometheus = direct
            viaPrometheus.prometheusURL = prometheus.url
            viaPrometheus.rateWindow = secondAt.timeIntervalSince(baselineAt).rounded()
            viaPrometheus.clock = { secondAt }
            let prometheusPoller = try MeshPoller(options: viaPrometheus)
            let round = try #require(await prometheusPoller.poll())
            var deriver = SnapshotDeriver()
            let promSnapshot = deriver.derive(round)
            let trends = try await #require(prometheusPoller.prometheus).serviceTrends(minutes: 10, endingAt: Date())
            await prometheusPoller.shutdown()

            #expect(round.sources.first { $0.name == "prometheus" }?.ok == true)
            #expect(round.proxies.values.allSatisfy { $0.counters == nil }, "with Prometheus, Envoy stats are not scraped")
            let directServices = Dictionary(uniqueKeysWithValues: directSnapshot.services.map { ($0.id, $0) })
            var compared = 0
            for service in promSnapshot.services where service.traffic.rps > 0 {
                let other = try #require(directServices[service.id])
                #expect(service.origin == .istioPrometheus && other.origin == .istioEnvoy)
                Self.expectClose(service.traffic, other.traffic, service.id)
                compared += 1
            }
            #expect(compared == 4, "productpage, details, reviews, ratings")
            let directEdges = Dictionary(uniqueKeysWithValues: directSnapshot.edges.map { ($0.id, $0) })
            #expect(promSnapshot.edges.count == directSnapshot.edges.count)
            for edge in promSnapshot.edges {
                let other = try #require(directEdges[edge.id])
                Self.expectClose(edge.traffic, other.traffic, edge.id)
                #expect(edge.mtls == other.mtls, "\(edge.id)")
            }
            let productpage = try #require(trends["default/productpage"])
            #expect(productpage.count == 10 && (productpage.last ?? 0) > 30, "TREND from query_range: \(productpage)")
        } catch {
            ticker.cancel()
            await server.shutdown()
            throw error
        }
        ticker.cancel()
        await ticker.value
        await server.shutdown()
    }

    @Test("prometheus-only tier: the cluster's Prometheus found by its Service labels and read through the API server's service proxy")
    func prometheusInCluster() async throws {
        let direct = try await InProcessSim.start(adminAddressBase: "127.0.66.40")
        let ticker = Task { await direct.server.run { _ in } }
        let simTargets = TargetsFile.targets(topology: direct.server.simulator.topology, urls: direct.server.adminURLs())
        let prometheus = try PrometheusServer(config: TargetsFile.prometheusConfig(simTargets, scrapeInterval: "1s"))
        defer { prometheus.stop() }
        do {
            try await prometheus.waitUntilReady()
            let cluster = try await KubeSim.start(addressBase: "127.0.66.80") { $0.kube?.prometheusURL = prometheus.url }
            defer { Task { await cluster.stop() } }
            try await Task.sleep(nanoseconds: 5_000_000_000) // a few scrapes, for rate()
            let outcome = try await MeshtopProcess.run(["snapshot", "--kubeconfig", cluster.kubeconfig, "--context", "sim-view", "--interval", "2", "-o", "json"],
                                                       environment: ["HOME": cluster.directory.path, "PATH": "/usr/bin:/bin"])
            try #require(outcome.status == 0, "\(outcome.stderr)")
            try await SnapshotCommandTests.validateSchema(outcome.stdout)
            let export = try #require(try JSONSerialization.jsonObject(with: outcome.stdout) as? [String: Any])
            let access = try #require((export["access"] as? [[String: Any]])?.first)
            #expect(access["tier"] as? String == "prometheus-only")
            #expect(((access["missing"] as? [String]) ?? []).contains { $0.contains("they come from the cluster's Prometheus") }, "\(access)")
            let sources = (export["sources"] as? [[String: Any]]) ?? []
            let source = try #require(sources.first { $0["name"] as? String == "prometheus" })
            #expect(source["url"] as? String == "serviceproxy://istio-system/prometheus:9090" && source["ok"] as? Bool == true, "\(source)")
            let services = (export["services"] as? [[String: Any]]) ?? []
            #expect(services.contains { $0["name"] as? String == "reviews" && ($0["rps"] as? Double ?? 0) > 0 }, "\(services)")
        } catch {
            ticker.cancel()
            await direct.server.shutdown()
            throw error
        }
        ticker.cancel()
        await ticker.value
        await direct.server.shutdown()
    }

    static func expectClose(_ a: TrafficMetrics, _ b: TrafficMetrics, _ what: String) {
        func close(_ x: Double?, _ y: Double?, _ name: String) {
            guard let x, let y else { return #expect(x == nil && y == nil, "\(what) \(name): \(String(describing: x)) vs \(String(describing: y))") }
            #expect(abs(x - y) <= 0.1 * max(abs(x), abs(y)), "\(what) \(name): prometheus \(x) vs direct \(y)")
        }
        close(a.rps, b.rps, "rps")
        close(a.successRate, b.successRate, "success")
        close(a.latencyMs.p50, b.latencyMs.p50, "p50")
        close(a.latencyMs.p95, b.latencyMs.p95, "p95")
        close(a.latencyMs.p99, b.latencyMs.p99, "p99")
    }
}
