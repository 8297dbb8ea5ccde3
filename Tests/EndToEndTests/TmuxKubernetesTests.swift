import Foundation
import MeshSim
import MeshTestSupport
import Testing

/// The console on a kubeconfig, as an operator starts it: `meshtop` alone on the current
/// context, the cluster in the header, the tier on the status line, `:ctx` to another context.
@Suite("Console on a Kubernetes context in tmux", .timingSensitive, .serialized, .enabled(if: TmuxSupport.available, "tmux or the meshtop binary is missing"))
struct TmuxKubernetesTests {
    let driver = Tmux(socket: "meshtop-kube-\(UUID().uuidString.prefix(8))")

    func waitFor(_ what: String, timeout: Double = 30, _ predicate: @escaping @Sendable (String) -> Bool) async -> String {
        let (ok, text) = await driver.waitFor("console", timeout: timeout, predicate)
        if !ok { Issue.record("timed out waiting for \(what); screen:\n\(text)") }
        return text
    }

    @Test("meshtop with KUBECONFIG set: context@cluster in the tab bar, port-forward tier; :ctx sim-metrics shows the pod-metrics tier and what is missing")
    func contextSwitch() async throws {
        let binary = try #require(TmuxSupport.binary)
        let sim = try await KubeSim.start(addressBase: "127.0.72.1")
        defer { Task { await sim.stop() } }
        let command = "cd '\(sim.directory.path)' && HOME='\(sim.directory.path)' KUBECONFIG='\(sim.kubeconfig)' LANG=C.UTF-8 TERM=tmux-256color '\(binary)' --no-history --refresh 1; "
            + "echo EXITED $?; sleep 60"
        driver.run(["new-session", "-d", "-s", "console", "-x", "120", "-y", "30", command])
        defer { driver.run(["kill-server"]) }
        let first = await waitFor("traffic through the port-forward tier") {
            $0.contains("sim@meshtop-sim") && $0.contains("sim: port-forward") && $0.range(of: #"Traffic +[1-9][0-9]*\.[0-9] rps"#, options: .regularExpression) != nil
        }
        #expect(first.contains("Access        sim (meshtop-sim): port-forward, nothing missing"), "\(first)")
        driver.run(["send-keys", "-t", "console", ":ctx sim-metrics", "Enter"])
        let switched = await waitFor("the pod-metrics tier") { $0.contains("sim-metrics") && $0.contains("sim-metrics: pod-metrics (2 missing)") }
        #expect(switched.contains("no `create pods/portforward`"), "\(switched)")
        driver.run(["send-keys", "-t", "console", ":ctx nope", "Enter"])
        let refused = await waitFor("the refusal of an unknown context") { $0.contains("context nope:") }
        #expect(refused.contains("sim-metrics: pod-metrics"), "the previous context stays")
        driver.run(["send-keys", "-t", "console", "q"])
        _ = await waitFor("exit") { $0.contains("EXITED 0") }
    }

    @Test(":ns default polls only that namespace's proxies (the status line says -n default); :ns all polls every namespace again")
    func namespaceSwitch() async throws {
        let binary = try #require(TmuxSupport.binary)
        let sim = try await KubeSim.start(addressBase: "127.0.72.40")
        defer { Task { await sim.stop() } }
        let command = "cd '\(sim.directory.path)' && HOME='\(sim.directory.path)' KUBECONFIG='\(sim.kubeconfig)' LANG=C.UTF-8 TERM=tmux-256color '\(binary)' --no-history --refresh 1; "
            + "echo EXITED $?; sleep 60"
        driver.run(["new-session", "-d", "-s", "console", "-x", "120", "-y", "30", command])
        defer { driver.run(["kill-server"]) }
        // Bookinfo: six sidecars in default, the ingress gateway in istio-system.
        _ = await waitFor("every namespace's proxies") { $0.contains("sim: port-forward") && $0.contains("Proxies 7") }
        driver.run(["send-keys", "-t", "console", ":ns default", "Enter"])
        _ = await waitFor("the namespace's proxies only") { $0.contains("sim -n default: port-forward") && $0.contains("Access        sim -n default (meshtop-sim): port-forward") }
        driver.run(["send-keys", "-t", "console", ":ns all", "Enter", "1"])
        _ = await waitFor("every namespace again") { $0.contains("sim: port-forward") && $0.contains("Proxies 7") }
        driver.run(["send-keys", "-t", "console", "q"])
        _ = await waitFor("exit") { $0.contains("EXITED 0") }
    }
}
