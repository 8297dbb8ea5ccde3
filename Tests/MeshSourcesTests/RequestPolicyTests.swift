import Foundation
import MeshModel
import NIOHTTP1
import Testing
@testable import MeshSources

@Suite("Request policy and operator actions")
struct RequestPolicyTests {
    @Test("Read-only sessions allow GET and HEAD only; operator sessions also POST to the four action paths")
    func policy() throws {
        for path in ["/stats/prometheus", "/config_dump?resource=dynamic_active_secrets"] {
            try RequestPolicy.readOnly.check(method: .GET, path: path)
            try RequestPolicy.readOnly.check(method: .HEAD, path: path)
        }
        for path in ["/logging?level=debug", "/healthcheck/fail", "/healthcheck/ok", "/reset_counters"] {
            #expect(throws: SourceError.self) { try RequestPolicy.readOnly.check(method: .POST, path: path) }
            try RequestPolicy.operatorActions.check(method: .POST, path: path)
        }
        #expect(throws: SourceError.self) { try RequestPolicy.operatorActions.check(method: .POST, path: "/quitquitquit") }
        #expect(throws: SourceError.self) { try RequestPolicy.operatorActions.check(method: .DELETE, path: "/reset_counters") }
        #expect(throws: SourceError.self) { try RequestPolicy.readOnly.check(method: .PUT, path: "/runtime_modify") }
    }

    @Test("A read-only client refuses an action before connecting, and says so in the event")
    func refusedAction() async {
        let client = AdminActionClient(policy: .readOnly, timeout: 1)
        // Nothing listens on port 9 of 127.0.0.1: a connection attempt would fail differently.
        let event = await client.perform(OperatorAction(kind: .resetCounters, proxyID: "p.default", adminURL: "http://127.0.0.1:9"))
        await client.shutdown()
        #expect(event.kind == .action && event.severity == .warning)
        #expect(event.message.contains("refused: read-only session"))
    }

    @Test("An operator client reports a failed action with the reason")
    func failedAction() async {
        let client = AdminActionClient(policy: .operatorActions, timeout: 1)
        let event = await client.perform(OperatorAction(kind: .failHealthCheck, proxyID: "p.default", adminURL: "http://127.0.0.1:9"))
        await client.shutdown()
        #expect(event.message.contains("failed: connection refused"), "\(event.message)")
    }
}
