import Foundation
import MeshModel
import MeshTestSupport
import Testing
@testable import MeshPoller
@testable import MeshSim
@testable import MeshSources

/// The poller against a live simulator and against misbehaving endpoints.
@Suite("Poller", .timingSensitive, .serialized)
struct PollerTests {
    static func withSim(base: String, mesh: SimMeshMode = .istio, configure: (inout SimOptions) -> Void = { _ in },
                        _ body: (SimServer, String, [ScrapeTarget]) async throws -> Void) async throws {
        try await InProcessSim.with(adminAddressBase: base, { options in
            options.meshMode = mesh
            configure(&options)
        }) { sim in try await body(sim.server, sim.istiod, sim.targets) }
    }

    /// A TCP listener that accepts connections (through the backlog) and never answers.
    static func hangingListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        listen(fd, 16)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test("A poll collects istiod and every proxy; overlapping polls are dropped")
    func pollAndOverlap() async throws {
        try await Self.withSim(base: "127.0.60.1") { _, istiod, targets in
            var options = PollerOptions()
            options.istiodURLs = [istiod]
            options.targets = targets
            // Not a deadline test: the whole suite starting at once on two cores (simulators,
            // a Prometheus, key generation) once held a first answer past the 5 s default.
            options.timeout = 30
            let poller = try MeshPoller(options: options)
            async let first = poller.poll()
            async let second = poller.poll()
            let results = await [first, second]
            #expect(results.compactMap { $0 }.count == 1, "one of two overlapping polls is dropped")
            let round = try #require(results.compactMap { $0 }.first)
            let failing = round.sources.filter { !$0.ok }.map { "\($0.name): \($0.error ?? "?")" }
            #expect(round.proxies.count == 7 && round.syncz.count == 7 && round.registry.count == 5,
                    "\(round.proxies.count) proxies, \(round.syncz.count) in syncz, \(round.registry.count) services; failing: \(failing)")
            #expect(failing.isEmpty, "\(failing)")
            #expect(round.proxies.values.allSatisfy { $0.counters != nil && !$0.secrets.isEmpty && $0.serverInfo != nil })
            await poller.shutdown()
        }
    }

    @Test("The server state comes with the stats (no /ready per poll); a filter without it falls back to /ready")
    func serverStateFromStats() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-state-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        try await Self.withSim(base: "127.0.63.1", configure: { $0.requestLogPath = log }) { server, istiod, targets in
            let drained = try #require(targets.first { $0.proxyID.hasPrefix("reviews-v2") })
            let index = try #require(server.simulator.read { $0.proxy(matching: "reviews-v2") })
            _ = server.simulator.mutate { $0.setHealthCheck(proxy: index, failed: true) }
            func readyRequests() -> Int {
                ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.hasSuffix(" /ready") }.count
            }
            for filter in ["istio_request|server.state", "istio_request"] {
                var options = PollerOptions()
                options.istiodURLs = [istiod]
                options.targets = targets
                options.timeout = 30
                options.statsFilter = filter
                let poller = try MeshPoller(options: options)
                _ = await poller.poll() // the first reads /server_info (and its state) for every proxy
                let before = readyRequests()
                let round = await poller.poll()
                await poller.shutdown()
                let states = (round?.proxies ?? [:]).mapValues { $0.serverInfo?.state ?? "?" }
                #expect(states[drained.proxyID] == "DRAINING", "\(filter): \(states)")
                #expect(states.count == 7 && states.filter { $0.key != drained.proxyID }.values.allSatisfy { $0 == "LIVE" }, "\(filter): \(states)")
                let asked = readyRequests() - before
                #expect(asked == (filter == "istio_request" ? 7 : 0), "\(filter): \(asked) requests for /ready in one poll")
            }
        }
    }

    @Test("A hanging proxy times out with a clear error, backs off, and never blocks the others")
    func hangingProxy() async throws {
        let hanging = try Self.hangingListener()
        defer { close(hanging.fd) }
        try await Self.withSim(base: "127.0.61.1") { _, istiod, targets in
            var options = PollerOptions()
            options.istiodURLs = [istiod]
            options.targets = targets + [ScrapeTarget(url: "http://127.0.0.1:\(hanging.port)", labels: ["proxy": "hung.default"])]
            options.timeout = 1
            let poller = try MeshPoller(options: options)
            let start = Date()
            let round = try #require(await poller.poll())
            #expect(Date().timeIntervalSince(start) < 4, "the deadline bounds the poll")
            let status = try #require(round.sources.first { $0.name == "proxy hung.default" })
            #expect(!status.ok && status.error?.contains("timed out") == true, "\(status.error ?? "")")
            #expect(round.proxies.values.filter { !$0.unanswered }.count == 7, "the healthy proxies were read")
            #expect(round.proxies["hung.default"]?.unanswered == true, "the hanging one is listed, its state unknown")
            let next = try #require(await poller.poll())
            #expect(next.sources.first { $0.name == "proxy hung.default" }?.error?.contains("retrying after 1 failure") == true)
            await poller.shutdown()
        }
    }

    @Test("A body over the cap is refused with a message naming the limit; a dead target says connection refused")
    func bodyCapAndRefused() async throws {
        try await Self.withSim(base: "127.0.62.1") { _, istiod, targets in
            var options = PollerOptions()
            options.targets = [targets[1], ScrapeTarget(url: "http://127.0.0.1:9", labels: ["proxy": "dead.default"])]
            options.bodyLimit = 2000
            let poller = try MeshPoller(options: options)
            let round = try #require(await poller.poll())
            #expect(round.sources.first { $0.url == targets[1].url }?.error?.contains("body larger than 2000 bytes") == true)
            #expect(round.sources.first { $0.name == "proxy dead.default" }?.error?.contains("connection refused") == true)
            await poller.shutdown()
            _ = istiod
        }
    }

    @Test("Discovery from syncz and endpointz with an admin-address template")
    func discovery() throws {
        var round = PollRound(at: Date())
        round.syncz = [SynczEntry(proxyID: "reviews-v1-abc-xyz.default", clusterID: "Kubernetes", proxyType: .sidecar, istioVersion: "1.24",
                                  proxyVersion: nil, types: [:], istiod: nil)]
        round.endpoints = [EndpointEntry(host: "reviews.default.svc.cluster.local", namespace: "default", address: "10.1.2.3",
                                         workload: "reviews-v1", labels: [:], healthy: true)]
        var options = PollerOptions()
        options.adminTemplate = "http://{ip}:15000"
        let targets = TargetDiscovery.targets(round, listed: options.targets, template: options.adminTemplate)
        #expect(targets.map { $0.url } == ["http://10.1.2.3:15000"])
        #expect(targets.first?.proxyID == "reviews-v1-abc-xyz.default")
    }
}
