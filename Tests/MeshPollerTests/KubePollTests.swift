import Foundation
import MeshModel
import MeshTestSupport
import Testing
@testable import MeshPoller
@testable import MeshSim
@testable import MeshSources

/// Polling through the simulated Kubernetes API while the cluster changes under the poll.
@Suite("Poller through Kubernetes", .timingSensitive, .serialized)
struct KubePollTests {
    @Test("a pod that goes away between discovery and the poll: its source says not found, the others are read, a later poll leaves it out")
    func podGoneMidPoll() async throws {
        // No ticker: the cluster reports the change only when a watch next starts, so the poll
        // right after it still has the pod in its inventory.
        try await InProcessSim.with(adminAddressBase: "127.0.74.1", { $0.kube = KubeSimOptions() }) { sim in
            let kubernetes = try #require(sim.server.kubernetes)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-kp-\(UUID().uuidString.prefix(8))").path
            try kubernetes.writeKubeconfig(to: file)
            defer {
                try? FileManager.default.removeItem(atPath: file)
                try? FileManager.default.removeItem(atPath: KubeconfigWriter.pluginPath(forKubeconfig: file))
            }
            let (access, _) = try await KubeAPIAccess.load(kubeconfig: file, context: "sim")
            let transport = KubernetesTransport(api: access, timeout: 5)
            let inventory = try await KubeMeshInventory.start(client: MeshClient(transport: transport, policy: .readOnly), context: "sim",
                                                              cluster: "meshtop-sim", server: access.server, namespace: nil, refusals: transport.refusals)
            var options = PollerOptions()
            options.inventory = inventory
            let poller = MeshPoller(options: options, client: MeshClient(transport: transport, policy: .readOnly))
            do {
                let first = try #require(await poller.poll())
                let gone = try #require(sim.simulator.topology.proxies.first { $0.type == "sidecar" })
                #expect(first.sources.first { $0.name == "proxy \(gone.id)" }?.ok == true)
                sim.simulator.mutate { $0.proxies[gone.index].present = false }
                let round = try #require(await poller.poll())
                let failed = try #require(round.sources.first { $0.name == "proxy \(gone.id)" })
                #expect(!failed.ok && failed.error?.contains("not found") == true, "\(failed)")
                let others = round.sources.filter { $0.name.hasPrefix("proxy ") && $0.name != "proxy \(gone.id)" }
                #expect(!others.isEmpty && others.allSatisfy(\.ok), "\(others.filter { !$0.ok })")
                // The next watch segments deliver the deletion.
                var left = false
                for _ in 0..<40 where !left {
                    try await Task.sleep(for: .milliseconds(250))
                    left = await !inventory.snapshot().targets.contains { $0.labels["pod"] == gone.podName }
                }
                #expect(left, "the inventory dropped the pod")
                let later = try #require(await poller.poll())
                #expect(!later.sources.contains { $0.name == "proxy \(gone.id)" && !$0.ok }, "no failure for a pod that is gone")
            } catch {
                await inventory.stop()
                await poller.shutdown()
                throw error
            }
            await inventory.stop()
            await poller.shutdown()
        }
    }
}
