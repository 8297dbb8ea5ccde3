import Foundation
import MeshSim
import MeshTestSupport
import Testing

/// The simulated Kubernetes API held honest by the real clients: kubectl (the machine image's,
/// v1.32) and the official Python client, as operators and tools use them. Whatever they
/// reject, the simulator must fix.
@Suite("Simulated Kubernetes API with real clients", .serialized, .cpuHeavy, .enabled(if: KubeSim.kubectl != nil, "kubectl is not installed (apt-get install kubernetes-client)"))
struct KubernetesRealClientTests {
    @Test("kubectl get pods -A -o json: every proxy's pod and istiod, istio-proxy as a native sidecar for some and a container for others")
    func podsAsJSON() async throws {
        let sim = try await KubeSim.start(addressBase: "127.0.70.1")
        defer { Task { await sim.stop() } }
        let outcome = try await sim.kubectl(["get", "pods", "-A", "-o", "json"])
        try #require(outcome.status == 0, "kubectl failed: \(outcome.stderr)")
        let list = try #require(try JSONSerialization.jsonObject(with: outcome.stdout) as? [String: Any])
        let items = try #require(list["items"] as? [[String: Any]])
        #expect(items.count == sim.server.simulator.topology.proxies.count + 1)
        func containers(_ pod: [String: Any], _ key: String) -> [[String: Any]] {
            ((pod["spec"] as? [String: Any])?[key] as? [[String: Any]]) ?? []
        }
        let native = items.filter { pod in containers(pod, "initContainers").contains { $0["name"] as? String == "istio-proxy" && $0["restartPolicy"] as? String == "Always" } }
        let classic = items.filter { pod in containers(pod, "containers").contains { $0["name"] as? String == "istio-proxy" } }
        #expect(!native.isEmpty && !classic.isEmpty, "native \(native.count), classic \(classic.count)")
        #expect(native.count + classic.count == sim.server.simulator.topology.proxies.count)
        let istiod = items.filter { (($0["metadata"] as? [String: Any])?["labels"] as? [String: String])?["app"] == "istiod" }
        #expect(istiod.count == 1)
        let annotated = native.allSatisfy { (($0["metadata"] as? [String: Any])?["annotations"] as? [String: String])?["sidecar.istio.io/status"] != nil }
        #expect(annotated)
    }

    @Test("kubectl get pods -A and get virtualservices -A print the server's tables")
    func tables() async throws {
        let sim = try await KubeSim.start(addressBase: "127.0.70.20")
        defer { Task { await sim.stop() } }
        let pods = try await sim.kubectl(["get", "pods", "-A"])
        try #require(pods.status == 0, "kubectl failed: \(pods.stderr)")
        let lines = pods.text.split(separator: "\n")
        #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true).map(String.init) == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"])
        #expect(lines.count == sim.server.simulator.topology.proxies.count + 2)
        #expect(lines.dropFirst().allSatisfy { $0.contains("Running") })
        let routes = try await sim.kubectl(["get", "virtualservices", "-A"])
        try #require(routes.status == 0, "kubectl failed: \(routes.stderr)")
        let expected = sim.server.simulator.read { $0.currentRouting.virtualServices.map(\.name) }
        let rows = routes.text.split(separator: "\n").dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true)[1] }
        #expect(rows.map(String.init).sorted() == expected.sorted())
        #expect(routes.text.hasPrefix("NAMESPACE"))
        #expect(routes.text.contains("HOSTS"))
    }

    @Test("kubectl auth can-i create pods --subresource=portforward answers each context's rights (kubectl posts protobuf)")
    func canIPortForward() async throws {
        let sim = try await KubeSim.start(addressBase: "127.0.70.40")
        defer { Task { await sim.stop() } }
        for context in KubeSimContext.allCases {
            let outcome = try await sim.kubectl(["auth", "can-i", "create", "pods", "--subresource=portforward", "-n", "istio-system"], context: context)
            let expected = [KubeSimContext.sim, .simCert, .simExec].contains(context)
            #expect(outcome.text.trimmingCharacters(in: .whitespacesAndNewlines) == (expected ? "yes" : "no"), "\(context): \(outcome.text) \(outcome.stderr)")
            #expect(outcome.status == (expected ? 0 : 1), "\(context)")
        }
        let proxy = try await sim.kubectl(["auth", "can-i", "get", "pods", "--subresource=proxy"], context: .simMetrics)
        #expect(proxy.text.hasPrefix("yes"))
    }

    @Test("kubectl get --raw through the pod proxy: :15090 and :15020 answer, :15000 is not on the pod IP, sim-view may not")
    func podProxy() async throws {
        let sim = try await KubeSim.start(addressBase: "127.0.70.60")
        defer { Task { await sim.stop() } }
        let proxy = try #require(sim.server.simulator.topology.proxies.first { $0.type == "sidecar" })
        let base = "/api/v1/namespaces/\(proxy.namespace)/pods/\(proxy.podName)"
        let stats = try await sim.kubectl(["get", "--raw", "\(base):15090/proxy/stats/prometheus"], context: .simMetrics)
        try #require(stats.status == 0, "kubectl failed: \(stats.stderr)")
        #expect(stats.text.contains("# TYPE istio_requests_total counter"), "\(stats.text.prefix(300))")
        let agent = try await sim.kubectl(["get", "--raw", "\(base):15020/proxy/stats/prometheus"], context: .simMetrics)
        #expect(agent.text.contains("istio_agent_cert_expiry_seconds{resource_name=\"default\"}"))
        let admin = try await sim.kubectl(["get", "--raw", "\(base):15000/proxy/certs"])
        #expect(admin.status != 0)
        #expect(admin.stderr.contains("connection refused"), "\(admin.stderr)")
        let forbidden = try await sim.kubectl(["get", "--raw", "\(base):15090/proxy/stats/prometheus"], context: .simView)
        #expect(forbidden.status != 0)
        #expect(forbidden.stderr.contains("Forbidden") && forbidden.stderr.contains("pods/proxy"), "\(forbidden.stderr)")
    }

    @Test("the sim-exec context's plugin issues tokens kubectl uses; an expired token gets 401")
    func execPluginTokens() async throws {
        let sim = try await KubeSim.start(addressBase: "127.0.70.80", tokenLifetime: 2)
        defer { Task { await sim.stop() } }
        let pods = try await sim.kubectl(["get", "namespaces", "-o", "name"], context: .simExec)
        try #require(pods.status == 0, "kubectl failed: \(pods.stderr)")
        #expect(pods.text.contains("namespace/istio-system"))
        let plugin = try await ProcessRunner.run(URL(fileURLWithPath: KubeconfigWriter.pluginPath(forKubeconfig: sim.kubeconfig)), [])
        let credential = try #require(try JSONSerialization.jsonObject(with: plugin.stdout) as? [String: Any])
        let status = try #require(credential["status"] as? [String: Any])
        let token = try #require(status["token"] as? String)
        #expect(status["expirationTimestamp"] is String)
        let fresh = try await sim.kubectl(["--token", token, "get", "--raw", "/api/v1/namespaces"])
        #expect(fresh.status == 0, "\(fresh.stderr)")
        try await Task.sleep(for: .seconds(3))
        let expired = try await sim.kubectl(["--token", token, "get", "--raw", "/api/v1/namespaces"])
        #expect(expired.status != 0)
        #expect(expired.stderr.contains("Unauthorized") || expired.stderr.contains("provide credentials"), "\(expired.stderr)")
    }

    @Test("the Python client port-forwards to a pod's :15000 and reads /certs; a closed port reports on the error channel",
          .enabled(if: KubeSim.pythonClient, "the Python kubernetes client is not installed (pip install kubernetes)"))
    func pythonPortForward() async throws {
        let sim = try await KubeSim.start(addressBase: "127.0.70.100")
        defer { Task { await sim.stop() } }
        let outcome = try await sim.python(Self.portForwardScript)
        try #require(outcome.status == 0, "python failed: \(outcome.stderr.suffix(2000))")
        let lines = outcome.text.split(separator: "\n").map(String.init)
        #expect(lines.contains("status HTTP/1.1 200 OK"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("certificates ") && $0 != "certificates 0" }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("spiffe spiffe://cluster.local/ns/") }, "\(lines)")
        #expect(lines.contains("data-error None"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("closed-port-error ") && $0.contains("connection refused") }, "\(lines)")
    }

    @Test("websocket-client (the Python client's WebSocket library) port-forwards with v4.base64.channel.k8s.io: text frames, a channel digit and base64",
          .enabled(if: KubeSim.pythonClient, "the Python kubernetes client is not installed (pip install kubernetes)"))
    func base64PortForward() async throws {
        let sim = try await KubeSim.start(addressBase: "127.0.70.120")
        defer { Task { await sim.stop() } }
        let outcome = try await sim.python(Self.base64Script)
        try #require(outcome.status == 0, "python failed: \(outcome.stderr.suffix(2000))")
        let lines = outcome.text.split(separator: "\n").map(String.init)
        #expect(lines.contains("subprotocol v4.base64.channel.k8s.io"), "\(lines)")
        #expect(lines.contains("port-frames 0:15000 1:15000"), "\(lines)")
        #expect(lines.contains("status HTTP/1.1 200 OK"), "\(lines)")
    }

    static let base64Script = #"""
        import base64, ssl, struct, sys, websocket
        from kubernetes import client, config
        config.load_kube_config(config_file=sys.argv[1], context=sys.argv[2])
        configuration = client.Configuration.get_default_copy()
        api = client.CoreV1Api()
        pod = api.list_namespaced_pod("default", label_selector="app=ratings").items[0].metadata.name
        url = configuration.host.replace("https://", "wss://") + f"/api/v1/namespaces/default/pods/{pod}/portforward?ports=15000"
        token = configuration.api_key.get("BearerToken") or configuration.api_key.get("authorization")
        ws = websocket.create_connection(url, subprotocols=["v4.base64.channel.k8s.io"], header=[f"Authorization: {token}"],
                                         sslopt={"ca_certs": configuration.ssl_ca_cert, "cert_reqs": ssl.CERT_REQUIRED})
        print("subprotocol", ws.getsubprotocol())
        frames = []
        for _ in range(2):
            message = ws.recv()
            frames.append(f"{message[0]}:{struct.unpack('<H', base64.b64decode(message[1:]))[0]}")
        print("port-frames", " ".join(sorted(frames)))
        ws.send("0" + base64.b64encode(b"GET /ready HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").decode())
        data = b""
        while b"\r\n\r\n" not in data:
            message = ws.recv()
            if message[0] == "0":
                data += base64.b64decode(message[1:])
        print("status", data.split(b"\r\n")[0].decode())
        ws.close()
        """#

    static let portForwardScript = #"""
        import json, sys
        from kubernetes import client, config
        from kubernetes.stream import portforward
        config.load_kube_config(config_file=sys.argv[1], context=sys.argv[2])
        api = client.CoreV1Api()
        pod = api.list_namespaced_pod("default", label_selector="app=reviews").items[0].metadata.name
        forward = portforward(api.connect_get_namespaced_pod_portforward, pod, "default", ports="15000")
        sock = forward.socket(15000)
        sock.setblocking(True)
        sock.sendall(b"GET /certs HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        sock.close()
        head, _, body = data.partition(b"\r\n\r\n")
        print("status", head.split(b"\r\n")[0].decode())
        certs = json.loads(body)["certificates"]
        print("certificates", len(certs))
        print("spiffe", certs[-1]["cert_chain"][0]["subject_alt_names"][0]["uri"])
        print("data-error", forward.error(15000))
        closed = portforward(api.connect_get_namespaced_pod_portforward, pod, "default", ports="15010")
        sock = closed.socket(15010)
        sock.setblocking(True)
        try:
            sock.sendall(b"GET / HTTP/1.1\r\n\r\n")
            while sock.recv(65536):
                pass
        except OSError:
            pass
        print("closed-port-error", closed.error(15010))
        """#
}
