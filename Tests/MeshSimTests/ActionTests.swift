import Foundation
import Testing
@testable import MeshSim

@Suite("Admin actions")
struct ActionTests {
    @Test("POST /logging sets all loggers, one logger, or a list; bad levels are refused")
    func logging() throws {
        var state = try SimHarness.state()
        let proxy = SimHarness.proxyIndex(state, "reviews-v2")
        let all = state.setLogging(proxy: proxy, query: [("level", "debug")])
        #expect(all.status == 200 && all.body.hasPrefix("active loggers:\n") && all.body.contains("  router: debug"))
        #expect(state.setLogging(proxy: proxy, query: [("router", "trace")]).body.contains("  router: trace"))
        #expect(state.setLogging(proxy: proxy, query: [("paths", "http:error,rbac:off")]).body.contains("  rbac: off"))
        #expect(state.setLogging(proxy: proxy, query: [("level", "loud")]).status == 404)
        #expect(state.proxies[proxy].loggers["http"] == "error")
        #expect(state.proxies[SimHarness.proxyIndex(state, "reviews-v1")].loggers["router"] == "warning", "other proxies untouched")
    }

    @Test("Failing the health check drains the proxy: DRAINING, /ready 503, no new inbound traffic")
    func drain() throws {
        var state = try SimHarness.state()
        let reviews1 = SimHarness.proxyIndex(state, "reviews-v1")
        state.advance(to: SimHarness.at(30))
        _ = state.setHealthCheck(proxy: reviews1, failed: true)
        #expect(state.proxies[reviews1].serverState == "DRAINING")
        #expect(EnvoyAdminRenderer.serverInfo(SimHarness.context(state, proxy: reviews1, at: 30))["state"] == .string("DRAINING"))
        let before = try SimHarness.requestCount(state, proxy: reviews1)
        state.advance(to: SimHarness.at(90))
        let after = try SimHarness.requestCount(state, proxy: reviews1)
        #expect(after == before)
        _ = state.setHealthCheck(proxy: reviews1, failed: false)
        state.advance(to: SimHarness.at(120))
        let resumed = try SimHarness.requestCount(state, proxy: reviews1)
        #expect(resumed > after)
    }

    @Test("reset_counters zeroes this proxy's counters only")
    func resetCounters() throws {
        var state = try SimHarness.state()
        state.advance(to: SimHarness.at(60))
        let productpage = SimHarness.proxyIndex(state, "productpage")
        let details = SimHarness.proxyIndex(state, "details")
        let detailsBefore = try SimHarness.requestCount(state, proxy: details)
        _ = state.resetCounters(proxy: productpage)
        let after = try SimHarness.requestCount(state, proxy: productpage)
        #expect(after == 0)
        #expect(try SimHarness.requestCount(state, proxy: details) == detailsBefore)
    }

    @Test("Mutating endpoints want POST; unknown paths get the help text")
    func methods() throws {
        let simulator = try MeshSimulator(options: SimOptions())
        let get = simulator.respond(to: SimRequest(method: "GET", uri: "/healthcheck/fail", localAddress: "127.0.1.2:15000"), role: .proxy(1))
        #expect(get.status == 400)
        #expect(simulator.read { $0.proxies[1].healthCheckFailed } == false)
        let post = simulator.respond(to: SimRequest(method: "POST", uri: "/healthcheck/fail", localAddress: "127.0.1.2:15000"), role: .proxy(1))
        #expect(post.status == 200)
        #expect(simulator.read { $0.proxies[1].healthCheckFailed })
        let ready = simulator.respond(to: SimRequest(method: "GET", uri: "/ready", localAddress: "127.0.1.2:15000"), role: .proxy(1))
        #expect(ready.status == 503 && String(decoding: ready.body, as: UTF8.self) == "DRAINING\n")
        let unknown = simulator.respond(to: SimRequest(method: "GET", uri: "/nope", localAddress: "127.0.1.2:15000"), role: .proxy(1))
        #expect(unknown.status == 404 && String(decoding: unknown.body, as: UTF8.self).contains("admin commands are"))
    }
}
