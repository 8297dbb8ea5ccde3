import Foundation
import MeshSim
import MeshTestSupport
import Testing

/// `meshtop snapshot` through the simulated Kubernetes API, one context per access tier, and
/// the failures an operator meets first: each a named error, never a hang.
@Suite("meshtop through a Kubernetes API", .serialized, .timingSensitive)
struct KubernetesSnapshotTests {
    static func snapshot(_ sim: KubeSim, context: KubeSimContext, _ extra: [String] = []) async throws -> (MeshtopProcess.Outcome, [String: Any]) {
        let outcome = try await MeshtopProcess.run(["snapshot", "--kubeconfig", sim.kubeconfig, "--context", context.rawValue,
                                                   "--interval", "2", "-o", "json"] + extra, environment: ["HOME": sim.directory.path, "PATH": "/usr/bin:/bin"])
        let export = (try? JSONSerialization.jsonObject(with: outcome.stdout) as? [String: Any]) ?? [:]
        return (outcome, export)
    }

    static func access(_ export: [String: Any]) -> [String: Any]? { (export["access"] as? [[String: Any]])?.first }

    @Test("sim (every right): port-forward tier — istiod and every proxy through port-forwards, stats through the pod proxy, schema-valid")
    func portForwardTier() async throws {
        let sim = try await KubeSim.start(addressBase: "127.0.71.1")
        defer { Task { await sim.stop() } }
        let (outcome, export) = try await Self.snapshot(sim, context: .sim)
        try #require(outcome.status == 0, "\(outcome.stderr)")
        try await SnapshotCommandTests.validateSchema(outcome.stdout)
        let access = try #require(Self.access(export))
        #expect(access["tier"] as? String == "port-forward")
        #expect((access["missing"] as? [String]) == [])
        let proxies = try #require(export["proxies"] as? [[String: Any]])
        #expect(proxies.count == sim.server.simulator.topology.proxies.count)
        #expect(proxies.allSatisfy { ($0["istiod"] as? String)?.hasPrefix("portforward://istio-system/istiod-") == true })
        let sources = try #require(export["sources"] as? [[String: Any]])
        #expect(sources.allSatisfy { $0["ok"] as? Bool == true }, "\(sources.filter { $0["ok"] as? Bool != true })")
        #expect(sources.contains { ($0["url"] as? String)?.hasPrefix("portforward://") == true })
        let certs = try #require(export["certs"] as? [[String: Any]])
        #expect(certs.contains { $0["kind"] as? String == "root" } && certs.allSatisfy { $0["notBefore"] != nil })
        #expect((export["services"] as? [[String: Any]])?.contains { ($0["rps"] as? Double ?? 0) > 0 } == true)
    }

    @Test("sim-metrics: pod-metrics tier — RED metrics and certificate expiry from :15020, routes from the API, the missing permission in words")
    func podMetricsTier() async throws {
        let sim = try await KubeSim.start(addressBase: "127.0.71.20")
        defer { Task { await sim.stop() } }
        let (outcome, export) = try await Self.snapshot(sim, context: .simMetrics)
        try #require(outcome.status == 0, "\(outcome.stderr)")
        try await SnapshotCommandTests.validateSchema(outcome.stdout)
        let access = try #require(Self.access(export))
        #expect(access["tier"] as? String == "pod-metrics")
        let missing = (access["missing"] as? [String]) ?? []
        #expect(missing.contains { $0.contains("create pods/portforward") && $0.contains("istio_agent_cert_expiry_seconds") }, "\(missing)")
        let certs = try #require(export["certs"] as? [[String: Any]])
        let proxies = sim.server.simulator.topology.proxies.count
        #expect(certs.count == proxies, "one expiry per workload certificate")
        #expect(certs.allSatisfy { $0["notBefore"] == nil && $0["lifetimeUsed"] == nil && ($0["healthReason"] as? String)?.contains("issue time unknown") == true })
        let expected = sim.server.simulator.read { state in state.proxies.compactMap { $0.leaf?.notAfter.timeIntervalSince1970 } }.sorted()
        let formatter = ISO8601DateFormatter()
        let seen = certs.compactMap { ($0["notAfter"] as? String).flatMap(formatter.date) }.map(\.timeIntervalSince1970).sorted()
        #expect(zip(seen, expected).allSatisfy { abs($0 - $1) <= 3 }, "\(seen) vs \(expected)")
        #expect((export["services"] as? [[String: Any]])?.contains { ($0["rps"] as? Double ?? 0) > 0 } == true)
        let routes = (export["routes"] as? [[String: Any]]) ?? []
        #expect(Set(routes.compactMap { $0["virtualService"] as? String }) == Set(sim.server.simulator.read { $0.currentRouting.virtualServices.map(\.name) }))
    }

    @Test("sim-view: no pod proxy, no port-forward — prometheus-only, each missing permission said, no invented proxies")
    func viewTier() async throws {
        let sim = try await KubeSim.start(addressBase: "127.0.71.40")
        defer { Task { await sim.stop() } }
        let (outcome, export) = try await Self.snapshot(sim, context: .simView)
        try #require(outcome.status == 0, "\(outcome.stderr)")
        let access = try #require(Self.access(export))
        #expect(access["tier"] as? String == "prometheus-only")
        let missing = (access["missing"] as? [String]) ?? []
        #expect(missing.count == 4 && missing.contains { $0.contains("get pods/proxy") && $0.contains("--prometheus") }, "\(missing)")
        #expect(missing.contains { $0.hasPrefix("no Prometheus found in the cluster") }, "\(missing)")
        #expect(missing.contains { $0 == "no `create pods/portforward` cluster-wide: no certificates, config or actions" }, "\(missing)")
        #expect((export["proxies"] as? [[String: Any]])?.isEmpty == true)
    }

    @Test("sim-team (pod access in default only): default's proxies through port-forwards, istio-system's said per namespace, istiod's config from the API")
    func namespaceTiers() async throws {
        let sim = try await KubeSim.start(addressBase: "127.0.71.130")
        defer { Task { await sim.stop() } }
        let (outcome, export) = try await Self.snapshot(sim, context: .simTeam)
        try #require(outcome.status == 0, "\(outcome.stderr)")
        try await SnapshotCommandTests.validateSchema(outcome.stdout)
        let access = try #require(Self.access(export))
        #expect(access["tier"] as? String == "port-forward")
        let missing = (access["missing"] as? [String]) ?? []
        #expect(missing.contains { $0.hasPrefix("no `create pods/portforward` in istio-system: istiod's sync state") }, "\(missing)")
        #expect(missing.contains { $0 == "no `create pods/portforward` in istio-system: those proxies not polled" }, "\(missing)")
        #expect(missing.contains { $0.hasPrefix("no `get pods/proxy` in istio-system: no RED metrics") }, "\(missing)")
        let proxies = try #require(export["proxies"] as? [[String: Any]])
        let inDefault = sim.server.simulator.topology.proxies.filter { $0.namespace == "default" }
        #expect(proxies.count == inDefault.count && proxies.allSatisfy { ($0["id"] as? String)?.hasSuffix(".default") == true }, "\(proxies.map { $0["id"] ?? "-" })")
        let sources = try #require(export["sources"] as? [[String: Any]])
        #expect(sources.allSatisfy { $0["ok"] as? Bool == true }, "\(sources.filter { $0["ok"] as? Bool != true })")
        #expect(!((export["routes"] as? [[String: Any]]) ?? []).isEmpty, "routing config from the Istio resources")
    }

    @Test("exec plugin context: tokens from the plugin, the snapshot succeeds")
    func execContext() async throws {
        let sim = try await KubeSim.start(addressBase: "127.0.71.60")
        defer { Task { await sim.stop() } }
        let (outcome, export) = try await Self.snapshot(sim, context: .simExec)
        try #require(outcome.status == 0, "\(outcome.stderr)")
        #expect(Self.access(export)?["tier"] as? String == "port-forward")
        let certificate = try await Self.snapshot(sim, context: .simCert)
        #expect(certificate.0.status == 0, "\(certificate.0.stderr)")
    }

    @Test("failures are named: malformed kubeconfig (file:line), unknown context, unreachable API server, wrong CA")
    func failures() async throws {
        let sim = try await KubeSim.start(addressBase: "127.0.71.80")
        defer { Task { await sim.stop() } }
        let broken = sim.directory.appendingPathComponent("broken").path
        try "apiVersion: v1\nkind: Config\nclusters:\n- name: x\n  cluster: {server: \"https://a\"\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let malformed = try await MeshtopProcess.run(["snapshot", "--kubeconfig", broken, "-o", "json"])
        #expect(malformed.status != 0)
        #expect(malformed.stderr.contains("\(broken):"), "\(malformed.stderr)")

        let unknown = try await MeshtopProcess.run(["snapshot", "--kubeconfig", sim.kubeconfig, "--context", "nope", "-o", "json"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("nope") && unknown.stderr.contains("sim-metrics"), "\(unknown.stderr)")

        let text = try String(contentsOfFile: sim.kubeconfig, encoding: .utf8)
        let port = try #require(URL(string: sim.apiURL)?.port)
        let unreachable = sim.directory.appendingPathComponent("unreachable").path
        try text.replacingOccurrences(of: ":\(port)", with: ":1").write(toFile: unreachable, atomically: true, encoding: .utf8)
        let started = Date()
        let refused = try await MeshtopProcess.run(["snapshot", "--kubeconfig", unreachable, "-o", "json"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("kubernetes context sim") && refused.stderr.contains("connection refused"), "\(refused.stderr)")
        #expect(Date().timeIntervalSince(started) < 20)

        // Another cluster's CA: the certificate does not verify.
        let other = try await KubeSim.start(addressBase: "127.0.71.90")
        defer { Task { await other.stop() } }
        let otherText = try String(contentsOfFile: other.kubeconfig, encoding: .utf8)
        let ca = try #require(otherText.split(separator: "\n").first { $0.contains("certificate-authority-data") })
        let mine = try #require(text.split(separator: "\n").first { $0.contains("certificate-authority-data") })
        let mismatched = sim.directory.appendingPathComponent("mismatched").path
        try text.replacingOccurrences(of: String(mine), with: String(ca)).write(toFile: mismatched, atomically: true, encoding: .utf8)
        let tls = try await MeshtopProcess.run(["snapshot", "--kubeconfig", mismatched, "-o", "json"])
        #expect(tls.status != 0)
        #expect(tls.stderr.contains("TLS: the server's certificate is not signed by a CA this connection trusts"), "\(tls.stderr)")

        // A token the API server does not accept: one retry, then whose credential it refuses.
        let wrongToken = sim.directory.appendingPathComponent("wrong-token").path
        let token = try #require(text.split(separator: "\n").first { $0.contains("token: sim-token") || $0.hasPrefix("    token: ") })
        try text.replacingOccurrences(of: String(token), with: "    token: not-a-token").write(toFile: wrongToken, atomically: true, encoding: .utf8)
        let refusedToken = try await MeshtopProcess.run(["snapshot", "--kubeconfig", wrongToken, "-o", "json"])
        #expect(refusedToken.status != 0)
        #expect(refusedToken.stderr.contains("HTTP 401 — the API server does not accept the credential of kubeconfig user"), "\(refusedToken.stderr)")
        #expect(!refusedToken.stderr.contains("--token-file"), "\(refusedToken.stderr)")

        // An exec plugin whose tokens the server refuses: run again once after the first 401,
        // then an error that names the plugin.
        let plugin = sim.directory.appendingPathComponent("bad-plugin").path
        let runs = sim.directory.appendingPathComponent("bad-plugin.runs").path
        try """
        #!/bin/sh
        echo run >> '\(runs)'
        echo '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"sim-exec.1.forged"}}'

        """.write(toFile: plugin, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plugin)
        let forged = sim.directory.appendingPathComponent("forged").path
        try text.replacingOccurrences(of: "command: \(KubeconfigWriter.pluginPath(forKubeconfig: sim.kubeconfig))", with: "command: \(plugin)")
            .write(toFile: forged, atomically: true, encoding: .utf8)
        let rejected = try await MeshtopProcess.run(["snapshot", "--kubeconfig", forged, "--context", "sim-exec", "-o", "json"])
        #expect(rejected.status != 0)
        #expect(rejected.stderr.contains("exec plugin \(plugin)") && rejected.stderr.contains("rejects the credential of exec plugin"), "\(rejected.stderr)")
        let count = (try? String(contentsOfFile: runs, encoding: .utf8))?.split(separator: "\n").count
        #expect(count == 2, "the plugin ran \(count ?? 0) times")
    }

    @Test("tls-server-name: an API server on another address is reached under the name its certificate carries, as kubectl reaches it; without it the mismatch is said in words")
    func tlsServerName() async throws {
        let sim = try await KubeSim.start(addressBase: "127.0.71.110") { $0.kube?.host = "127.0.0.3" }
        defer { Task { await sim.stop() } }
        #expect(sim.apiURL.hasPrefix("https://127.0.0.3:"))
        let (plain, _) = try await Self.snapshot(sim, context: .sim)
        #expect(plain.status != 0)
        #expect(plain.stderr.contains("the server's certificate does not name the host connected to"), "\(plain.stderr)")
        if KubeSim.kubectl != nil {
            #expect(try await sim.kubectl(["get", "pods", "-A"]).status != 0, "kubectl refuses it too")
        }
        let text = try String(contentsOfFile: sim.kubeconfig, encoding: .utf8)
        try text.replacingOccurrences(of: "    server: \(sim.apiURL)\n", with: "    server: \(sim.apiURL)\n    tls-server-name: kubernetes\n")
            .write(toFile: sim.kubeconfig, atomically: true, encoding: .utf8)
        if KubeSim.kubectl != nil {
            let listed = try await sim.kubectl(["get", "pods", "-A"])
            #expect(listed.status == 0, "\(listed.stderr)")
        }
        let (named, export) = try await Self.snapshot(sim, context: .sim)
        try #require(named.status == 0, "\(named.stderr)")
        // insecure-skip-tls-verify instead of the CA: no verification at all, as kubectl does it.
        let insecure = sim.directory.appendingPathComponent("insecure").path
        let ca = try #require(text.split(separator: "\n").first { $0.contains("certificate-authority-data") })
        try text.replacingOccurrences(of: String(ca), with: "    insecure-skip-tls-verify: true").write(toFile: insecure, atomically: true, encoding: .utf8)
        let unverified = try await MeshtopProcess.run(["snapshot", "--kubeconfig", insecure, "--context", "sim", "--interval", "1", "-o", "json"])
        #expect(unverified.status == 0, "\(unverified.stderr)")
        #expect(Self.access(export)?["tier"] as? String == "port-forward")
        let sources = try #require(export["sources"] as? [[String: Any]])
        #expect(sources.allSatisfy { $0["ok"] as? Bool == true }, "port-forwards too: \(sources.filter { $0["ok"] as? Bool != true })")
    }
}
