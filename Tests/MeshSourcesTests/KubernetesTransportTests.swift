import Foundation
@testable import MeshSim
@testable import MeshSources
import MeshTestSupport
import Synchronization
import Testing

/// The Kubernetes transport against the simulated API: what an operator meets when a cluster
/// misbehaves — a port that refuses inside the pod, a pod gone mid-poll, throttling — and the
/// bound on open port-forwards.
@Suite("Kubernetes transport", .serialized, .timingSensitive)
struct KubernetesTransportTests {
    static func withCluster(_ base: String, services: Int? = nil, maxPortForwards: Int = 16,
                            _ body: (InProcessSim, KubernetesTransport) async throws -> Void) async throws {
        try await InProcessSim.with(adminAddressBase: base, { $0.kube = KubeSimOptions(); $0.services = services }) { sim in
            let kubernetes = try #require(sim.server.kubernetes)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-kt-\(UUID().uuidString.prefix(8))").path
            try kubernetes.writeKubeconfig(to: file)
            defer {
                try? FileManager.default.removeItem(atPath: file)
                try? FileManager.default.removeItem(atPath: KubeconfigWriter.pluginPath(forKubeconfig: file))
            }
            let (access, _) = try await KubeAPIAccess.load(kubeconfig: file, context: "sim")
            let transport = KubernetesTransport(api: access, timeout: 5, maxPortForwards: maxPortForwards)
            do {
                try await body(sim, transport)
                await transport.shutdown()
            } catch {
                await transport.shutdown()
                throw error
            }
        }
    }

    static func failure(_ client: MeshClient, _ endpoint: MeshEndpoint, _ path: String) async -> SourceError? {
        do {
            _ = try await client.send(MeshRequest(.GET, endpoint, path, source: "test"))
            return nil
        } catch {
            return error
        }
    }

    @Test("a port nothing listens on inside the pod: the runtime's words from the error channel")
    func errorFrame() async throws {
        try await Self.withCluster("127.0.73.1") { sim, transport in
            let proxy = sim.simulator.topology.proxies[1]
            let client = MeshClient(transport: transport, policy: .readOnly)
            let error = try #require(await Self.failure(client, .portForward(namespace: proxy.namespace, pod: proxy.podName, port: 15010), "/"))
            // The kubelet's words, also when it closes right behind them (the handshake hands the
            // bytes behind the 101 on in order; NIO's upgrader lost them about one run in five).
            #expect(error.description.contains("port-forward error") && error.description.contains("failed to connect to localhost:15010"), "\(error)")
        }
    }

    @Test("a pod that goes away: the port-forward and the pod proxy say it is not found; back, it answers again")
    func podGone() async throws {
        try await Self.withCluster("127.0.73.20") { sim, transport in
            let proxy = sim.simulator.topology.proxies[2]
            let client = MeshClient(transport: transport, policy: .readOnly)
            let forward = MeshEndpoint.portForward(namespace: proxy.namespace, pod: proxy.podName, port: 15000)
            #expect(try await client.send(MeshRequest(.GET, forward, "/ready", source: "test")).status == 200)
            sim.simulator.mutate { $0.proxies[2].present = false }
            let gone = try #require(await Self.failure(client, forward, "/ready"))
            #expect(gone.description.contains("not found") || gone.reason == .connectionClosed, "\(gone)")
            let fresh = try #require(await Self.failure(client, forward, "/ready"))
            #expect(fresh.description.contains("pods \"\(proxy.podName)\" not found"), "\(fresh)")
            let proxied = try #require(await Self.failure(client, .podProxy(namespace: proxy.namespace, pod: proxy.podName, port: 15090), "/stats/prometheus"))
            #expect(proxied.description.contains("not found"), "\(proxied)")
            sim.simulator.mutate { $0.proxies[2].present = true }
            #expect(try await client.send(MeshRequest(.GET, forward, "/ready", source: "test")).status == 200)
        }
    }

    @Test("429 with Retry-After: waited out when it fits the deadline, else an error that says how long")
    func throttled() async throws {
        try await Self.withCluster("127.0.73.40") { sim, transport in
            let kubernetes = try #require(sim.server.kubernetes)
            let client = MeshClient(transport: transport, policy: .readOnly)
            kubernetes.throttle(requests: 1, retryAfter: 1)
            let started = ContinuousClock.now
            #expect(try await client.send(MeshRequest(.GET, .kubernetesAPI, "/api/v1/namespaces", source: "test")).status == 200)
            #expect(ContinuousClock.now - started >= .seconds(1))
            kubernetes.throttle(requests: 1, retryAfter: 30)
            let error = try #require(await Self.failure(client, .kubernetesAPI, "/api/v1/namespaces"))
            #expect(error.reason == .throttled(retryAfter: 30), "\(error)")
            #expect(error.description.contains("retry after 30 s"))
        }
    }

    @Test("at most --max-port-forwards open at once; every proxy still answers")
    func boundedPortForwards() async throws {
        try await Self.withCluster("127.0.73.60", services: 8, maxPortForwards: 3) { sim, transport in
            let client = MeshClient(transport: transport, policy: .readOnly)
            let proxies = Array(sim.simulator.topology.proxies.prefix(12))
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for proxy in proxies {
                    group.addTask {
                        try await client.send(MeshRequest(.GET, .portForward(namespace: proxy.namespace, pod: proxy.podName, port: 15000), "/server_info", source: "test")).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == proxies.count && statuses.allSatisfy { $0 == 200 })
            #expect(await transport.openPortForwards <= 3)
        }
    }

    @Test("the inventory lists in pages, follows a pod going and coming back through watches, and re-lists after a 410")
    func inventoryFollowsPods() async throws {
        try await Self.withCluster("127.0.73.80", services: 30) { sim, transport in
            let client = MeshClient(transport: transport, policy: .readOnly)
            let inventory = KubeInventory(client: client, namespace: nil, pageSize: 7, watchSeconds: 1)
            try await inventory.list()
            let proxies = sim.simulator.topology.proxies
            #expect(await inventory.current.proxies.count == proxies.count)
            #expect(await inventory.current.istiods.count == 1)
            sim.simulator.mutate { $0.proxies[3].present = false }
            sim.server.kubernetes?.refresh()
            #expect(await inventory.watchSegment())
            #expect(await !inventory.current.proxies.contains { $0.name == proxies[3].podName })
            sim.simulator.mutate { $0.proxies[3].present = true }
            sim.server.kubernetes?.refresh()
            sim.server.kubernetes?.compact()
            // The version the inventory holds was compacted away: 410, then a fresh list.
            #expect(await inventory.watchSegment())
            #expect(await inventory.watchSegment())
            #expect(await inventory.current.proxies.count == proxies.count)
            #expect(await inventory.error == nil)
            // One namespace's proxies, and istiod from its own namespace.
            let scoped = KubeInventory(client: client, namespace: "default", pageSize: 7, watchSeconds: 1)
            try await scoped.list()
            #expect(await scoped.current.proxies.allSatisfy { $0.namespace == "default" })
            #expect(await scoped.current.proxies.count == proxies.filter { $0.namespace == "default" }.count)
            #expect(await scoped.current.istiods.count == 1)
        }
    }

    @Test("a 403 on a port-forward at run time takes that namespace down to pod metrics, and the access says so")
    func refusalFallsBack() async throws {
        try await Self.withCluster("127.0.73.100") { sim, transport in
            let client = MeshClient(transport: transport, policy: .readOnly)
            let inventory = try await KubeMeshInventory.start(client: client, context: "sim", cluster: "c", server: "https://x", namespace: nil,
                                                              refusals: transport.refusals)
            defer { Task { await inventory.stop() } }
            let before = await inventory.snapshot()
            #expect(before.access.first?.tier == .portForward && before.access.first?.missing == [])
            let inDefault = before.targets.filter { $0.labels["namespace"] == "default" }
            #expect(!inDefault.isEmpty && inDefault.allSatisfy { if case .portForward = $0.route { true } else { false } })
            #expect(!before.istiods.isEmpty)

            sim.server.kubernetes?.revoke(.sim, subresource: "portforward", namespace: "default")
            let proxy = try #require(sim.simulator.topology.proxies.first { $0.namespace == "default" })
            let refused = try #require(await Self.failure(client, .portForward(namespace: "default", pod: proxy.podName, port: 15000), "/certs"))
            #expect(refused.description.contains("forbidden") && refused.description.contains("create"), "\(refused)")

            let after = await inventory.snapshot()
            let access = try #require(after.access.first)
            #expect(access.tier == .portForward, "istio-system's gateway is still port-forwarded")
            #expect(access.missing.contains { $0.hasPrefix("no `create pods/portforward` in default: those proxies through pod metrics") }, "\(access.missing)")
            let fallen = after.targets.filter { $0.labels["namespace"] == "default" }
            #expect(fallen.count == inDefault.count)
            #expect(fallen.allSatisfy { $0.route == .podProxy(namespace: "default", pod: $0.labels["pod"] ?? "", port: 15020) })
        }
    }

    @Test("in the cluster, the pod-IP ports are read from the pod IPs, without the pod proxy")
    func podNetworkRoutes() async throws {
        try await Self.withCluster("127.0.73.120") { sim, transport in
            let inventory = try await KubeMeshInventory.start(client: MeshClient(transport: transport, policy: .readOnly), context: "in-cluster",
                                                              cluster: "c", server: "https://x", namespace: nil, podNetwork: true)
            defer { Task { await inventory.stop() } }
            let snapshot = await inventory.snapshot()
            let byPod = Dictionary(uniqueKeysWithValues: sim.simulator.topology.proxies.map { ($0.podName, $0.podIP) })
            #expect(!snapshot.targets.isEmpty)
            for target in snapshot.targets {
                #expect(target.statsRoute == .url("http://\(byPod[target.labels["pod"] ?? ""] ?? "?"):15090"), "\(String(describing: target.statsRoute))")
            }
        }
    }

    @Test("a list refused with 429 waits for its Retry-After before the inventory tries again")
    func throttledList() async throws {
        try await Self.withCluster("127.0.73.140") { sim, transport in
            let inventory = KubeInventory(client: MeshClient(transport: transport, policy: .readOnly), namespace: nil)
            #expect(await inventory.pauseAfterFailure == 2)
            sim.server.kubernetes?.throttle(requests: 1, retryAfter: 30)
            await #expect(throws: SourceError.self) { try await inventory.list() }
            #expect(await inventory.pauseAfterFailure == 30)
            try await inventory.list()
            #expect(await inventory.pauseAfterFailure == 2)
        }
    }

    @Test("an exec plugin that issues client certificates: when one expires the plugin runs again and new connections present the next")
    func rotatedClientCertificate() async throws {
        try await InProcessSim.with(adminAddressBase: "127.0.73.160", { $0.kube = KubeSimOptions() }) { sim in
            let kubernetes = try #require(sim.server.kubernetes)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-certplugin-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            // Two certificates; the plugin hands out the next one each run, the first valid by its
            // expirationTimestamp for 11 s — fresh for 1 s of the test's clock (10 s margin) —
            // the next for 20 s more.
            for index in 0..<2 {
                let (certificate, key) = try kubernetes.issueClientCertificate(lifetime: 3600)
                let status: [String: String] = ["clientCertificateData": certificate, "clientKeyData": key, "expirationTimestamp": "EXPIRY"]
                let body = String(decoding: try JSONSerialization.data(withJSONObject: ["kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1", "status": status]), as: UTF8.self)
                try body.write(to: directory.appendingPathComponent("credential-\(index).json"), atomically: true, encoding: .utf8)
            }
            let plugin = directory.appendingPathComponent("plugin").path
            try """
            #!/bin/sh
            runs=$(cat '\(directory.path)/runs' 2>/dev/null || echo 0)
            echo $((runs + 1)) > '\(directory.path)/runs'
            expiry=$(date -u -d "@$(( $(date +%s) + 11 + 20 * runs ))" +%Y-%m-%dT%H:%M:%SZ)
            sed "s/EXPIRY/$expiry/" '\(directory.path)/credential-'$((runs % 2))'.json'

            """.write(toFile: plugin, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plugin)
            let file = directory.appendingPathComponent("config").path
            try kubernetes.writeKubeconfig(to: file)
            let text = try String(contentsOfFile: file, encoding: .utf8)
            try text.replacingOccurrences(of: "command: \(KubeconfigWriter.pluginPath(forKubeconfig: file))", with: "command: \(plugin)")
                .write(toFile: file, atomically: true, encoding: .utf8)
            // The credentials' clock is the test's: the certificate expires when the test says.
            let clock = Mutex(Date())
            let resolved = try Kubeconfig.load(paths: [file]).resolve(context: "sim-exec", namespace: nil)
            let access = try await KubeAPIAccess.make(resolved, credentials: KubeCredentialProvider(context: resolved, now: { clock.withLock { $0 } }))
            let transport = KubernetesTransport(api: access, timeout: 5)
            let client = MeshClient(transport: transport, policy: .readOnly)
            let runs = { (try? String(contentsOfFile: directory.appendingPathComponent("runs").path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) }
            do {
                #expect(try await client.send(MeshRequest(.GET, .kubernetesAPI, "/api/v1/namespaces", source: "test")).status == 200)
                #expect(transport.apiGeneration == 0 && runs() == "1")
                clock.withLock { $0 = $0.addingTimeInterval(2) }
                #expect(try await client.send(MeshRequest(.GET, .kubernetesAPI, "/api/v1/namespaces", source: "test")).status == 200)
                #expect(runs() == "2", "the plugin ran again once its certificate's credential expired")
                #expect(transport.apiGeneration == 1, "API requests go out on connections with the new certificate")
                let proxy = sim.simulator.topology.proxies[0]
                #expect(try await client.send(MeshRequest(.GET, .portForward(namespace: proxy.namespace, pod: proxy.podName, port: 15000), "/ready", source: "test")).status == 200)
            } catch {
                await transport.shutdown()
                throw error
            }
            await transport.shutdown()
        }
    }

    @Test("in a pod: the service account's token and CA reach the API server, and a rotated token is read again")
    func inClusterServiceAccount() async throws {
        try await InProcessSim.with(adminAddressBase: "127.0.73.180", { $0.kube = KubeSimOptions() }) { sim in
            let kubernetes = try #require(sim.server.kubernetes)
            let port = try #require(URL(string: kubernetes.url.withLock { $0 })?.port)
            let account = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-sa-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: account, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: account) }
            try (kubernetes.token(for: .simView) ?? "").write(to: account.appendingPathComponent("token"), atomically: true, encoding: .utf8)
            try kubernetes.caPEM.write(to: account.appendingPathComponent("ca.crt"), atomically: true, encoding: .utf8)
            try "meshtop".write(to: account.appendingPathComponent("namespace"), atomically: true, encoding: .utf8)
            let context = try #require(try InClusterConfig.detect(environment: ["KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": String(port)],
                                                                  serviceAccountDirectory: account.path))
            let access = try await KubeAPIAccess.make(context, credentials: KubeCredentialProvider(context: context))
            let transport = KubernetesTransport(api: access, timeout: 5)
            let probe = KubeAccessProbe(client: MeshClient(transport: transport, policy: .readOnly))
            do {
                let view = try await probe.answers(namespace: nil)
                #expect(view.listPods && !view.pods.podProxy && !view.pods.portForward)
                // The kubelet rotates the token under a running pod: the next request reads the new one.
                try await Task.sleep(for: .milliseconds(20))
                try (kubernetes.token(for: .sim) ?? "").write(to: account.appendingPathComponent("token"), atomically: true, encoding: .utf8)
                let admin = try await probe.answers(namespace: nil)
                #expect(admin.pods.podProxy && admin.pods.portForward, "the rotated token's rights")
            } catch {
                await transport.shutdown()
                throw error
            }
            await transport.shutdown()
        }
    }
}
