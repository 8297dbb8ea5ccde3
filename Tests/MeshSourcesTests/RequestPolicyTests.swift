import Foundation
import MeshModel
import MeshSim
import MeshTestSupport
import Testing
@testable import MeshSources

@Suite("Request policy and operator actions")
struct RequestPolicyTests {
    @Test("Read-only sessions allow GET and HEAD only; operator sessions also the actions' own requests, nothing else")
    func policy() {
        for path in ["/stats/prometheus", "/config_dump?resource=dynamic_active_secrets"] {
            for policy in [RequestPolicy.readOnly, .operatorActions] {
                #expect(policy.refusal(method: .GET, path: path) == nil)
                #expect(policy.refusal(method: .HEAD, path: path) == nil)
            }
        }
        for path in ["/logging?level=debug", "/healthcheck/fail", "/healthcheck/ok", "/reset_counters", "/api/v1/update_loglevel"] {
            #expect(RequestPolicy.readOnly.refusal(method: .POST, path: path)?.contains("read-only session") == true, "\(path)")
            #expect(RequestPolicy.operatorActions.refusal(method: .POST, path: path) == nil, "\(path)")
        }
        #expect(RequestPolicy.operatorActions.refusal(method: .PUT, path: "/proxy-log-level") == nil)
        #expect(RequestPolicy.operatorActions.refusal(method: .POST, path: "/quitquitquit") == "not an operator action")
        #expect(RequestPolicy.operatorActions.refusal(method: .DELETE, path: "/reset_counters") == "not an operator action")
        #expect(RequestPolicy.operatorActions.refusal(method: .POST, path: "/proxy-log-level") == "not an operator action")
        #expect(RequestPolicy.readOnly.refusal(method: .PUT, path: "/runtime_modify") != nil)
    }

    @Test("A targets file with a kind meshtop does not know is refused, naming it; a label-less entry is Envoy")
    func targetKinds() throws {
        #expect(throws: TargetsFileReader.UnknownKind.self) {
            _ = try TargetsFileReader.parse("- url: http://10.0.0.1:15000\n  labels: {kind: consul}\n", name: "t.yaml")
        }
        let targets = try TargetsFileReader.parse("- url: http://10.0.0.1:15000/\n- url: http://10.0.0.2:4191\n  labels: {kind: linkerd}\n", name: "t.yaml")
        #expect(targets.map(\.kind) == [.istioEnvoy, .linkerd])
        #expect(targets[0].url == "http://10.0.0.1:15000", "a trailing slash is dropped")
    }

    @Test("Every action a mesh kind supports has a request in its admin client, and none it does not")
    func actionsAgreeWithKinds() {
        for mesh in MeshKind.allCases {
            for kind in OperatorAction.Kind.every() {
                #expect((OperatorActionClient.template(kind, mesh: mesh) != nil) == mesh.supports(kind), "\(mesh) \(kind)")
            }
        }
    }

    @Test("A read-only client refuses an action before connecting, and says so in the event")
    func refusedAction() async throws {
        let client = OperatorActionClient(client: MeshClient(transport: try DirectHTTPTransport(timeout: 1), policy: .readOnly))
        // Nothing listens on port 9 of 127.0.0.1: a connection attempt would fail differently.
        for mesh in [MeshKind.istioEnvoy, .mosn] {
            let event = await client.perform(OperatorAction(kind: .setLogLevel("debug"), proxyID: "p.default", adminURL: "http://127.0.0.1:9", mesh: mesh))
            #expect(event.kind == .action && event.severity == .warning)
            #expect(event.message.contains("refused: read-only session"), "\(event.message)")
        }
        await client.client.shutdown()
    }

    @Test("An operator client reports a failed action with the reason")
    func failedAction() async throws {
        let client = OperatorActionClient(client: MeshClient(transport: try DirectHTTPTransport(timeout: 1), policy: .operatorActions))
        let event = await client.perform(OperatorAction(kind: .failHealthCheck, proxyID: "p.default", adminURL: "http://127.0.0.1:9"))
        await client.client.shutdown()
        #expect(event.message.contains("failed: connection refused"), "\(event.message)")
    }
}

/// The read-only rule at the transport seam, against every transport: what a policy refuses
/// never reaches the wire (the simulator's request log is the witness), and an operator session
/// sends exactly the actions' requests.
@Suite("Request policy at the transport seam", .serialized, .timingSensitive)
struct TransportPolicyTests {
    static func requestLog(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map { line in
            line.split(separator: " ").dropFirst().filter { !$0.hasPrefix("127.") }.joined(separator: " ")
        }
    }

    @Test("A read-only client sends GET and HEAD and nothing else", arguments: TransportUnderTest.allCases)
    func readOnly(_ transport: TransportUnderTest) async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-policy-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        try await InProcessSim.with(adminAddressBase: "127.0.26.1", { $0.requestLogPath = log; transport.configure(&$0) }) { sim in
            let client = MeshClient(transport: try await transport.make(sim), policy: .readOnly)
            let endpoint = transport.endpoint(of: sim.targets[1])
            #expect(try await client.send(MeshRequest(.GET, endpoint, "/server_info", source: "test")).status == 200)
            #expect(try await client.send(MeshRequest(.HEAD, endpoint, "/server_info", source: "test")).status == 200)
            for method in MeshMethod.allCases where !method.isRead {
                for path in ["/healthcheck/fail", "/reset_counters", "/logging?level=trace", "/quitquitquit"] {
                    await #expect {
                        _ = try await client.send(MeshRequest(method, endpoint, path, source: "test"))
                    } throws: { error in
                        guard let error = error as? SourceError, case let .refused(text) = error.reason else { return false }
                        return text.contains("read-only session")
                    }
                }
            }
            await client.shutdown()
            #expect(Self.requestLog(log) == ["GET /server_info", "HEAD /server_info"])
        }
    }

    /// Without the transport's own shutdown on release, AsyncHTTPClient traps in debug builds,
    /// and this test takes the suite down (signal 4) instead of passing.
    @Test("A transport released without shutdown (a test that throws midway) closes its connections and brings nothing down",
          arguments: TransportUnderTest.allCases)
    func releasedWithoutShutdown(_ transport: TransportUnderTest) async throws {
        try await InProcessSim.with(adminAddressBase: "127.0.28.1", { transport.configure(&$0) }) { sim in
            let endpoint = transport.endpoint(of: sim.targets[0])
            do {
                let client = MeshClient(transport: try await transport.make(sim), policy: .readOnly)
                #expect(try await client.send(MeshRequest(.GET, endpoint, "/server_info", source: "test")).status == 200)
            }
            try await Task.sleep(nanoseconds: 300_000_000)
            let client = MeshClient(transport: try await transport.make(sim), policy: .readOnly)
            #expect(try await client.send(MeshRequest(.GET, endpoint, "/ready", source: "test")).status == 200)
            await client.shutdown()
        }
    }

    @Test("An operator client sends each action's requests once, and refuses any other", arguments: TransportUnderTest.allCases)
    func operatorActions(_ transport: TransportUnderTest) async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-actions-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        // The simulated cluster runs Istio only: through it, Envoy's actions; directly, every mesh's.
        let kinds: [MeshKind] = transport == .direct ? [.istioEnvoy, .linkerd, .mosn] : [.istioEnvoy]
        try await InProcessSim.with(adminAddressBase: "127.0.27.1", { $0.requestLogPath = log; $0.meshMode = transport == .direct ? .mixed : .istio; transport.configure(&$0) }) { sim in
            let client = MeshClient(transport: try await transport.make(sim), policy: .operatorActions)
            let actions = OperatorActionClient(client: client)
            var expected: [String] = []
            for kind in kinds {
                let target = try #require(sim.targets.first { $0.kind == kind })
                // The address a proxy is known by (a URL, or portforward://NS/POD:15000).
                let admin = transport.endpoint(of: target).description
                for action in OperatorAction.Kind.every(level: "debug") where kind.supports(action) {
                    let event = await actions.perform(OperatorAction(kind: action, proxyID: target.proxyID, adminURL: admin, mesh: kind))
                    #expect(event.severity == .info && event.message.contains("done"), "\(kind) \(action): \(event.message)")
                }
                switch kind {
                case .istioEnvoy: expected += ["POST /logging?level=debug", "POST /healthcheck/fail", "POST /healthcheck/ok", "POST /reset_counters"]
                case .linkerd: expected += ["PUT /proxy-log-level"]
                // The simulated MOSN lists one logger: one update per logger listed.
                default: expected += ["GET /api/v1/get_loglevel", "POST /api/v1/update_loglevel"]
                }
            }
            let envoy = transport.endpoint(of: try #require(sim.targets.first { $0.kind == .istioEnvoy }))
            for (method, path) in [(MeshMethod.POST, "/quitquitquit"), (.DELETE, "/reset_counters"), (.PUT, "/logging?level=trace")] {
                await #expect(throws: SourceError.self) { _ = try await client.send(MeshRequest(method, envoy, path, source: "test")) }
            }
            await client.shutdown()
            #expect(Self.requestLog(log) == expected)
        }
    }
}
