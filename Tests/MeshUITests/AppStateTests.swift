import Foundation
import MeshModel
import Testing
@testable import MeshUI

@Suite("Console state machine")
struct AppStateTests {
    @Test("Tab, Shift-Tab and digits switch views; Enter opens a service; Esc goes back")
    func navigation() {
        var state = Fixture.state()
        _ = state.update(.key(.tab))
        #expect(state.view == .services)
        _ = state.update(.key(.backTab))
        #expect(state.view == .overview)
        _ = state.update(.key(.character("6")))
        #expect(state.view == .proxies)
        _ = state.update(.key(.character("2")))
        _ = state.update(.key(.character("j")))
        _ = state.update(.key(.enter))
        #expect(state.detail?.view == .services && state.detail?.key == "default/details")
        _ = state.update(.key(.escape))
        #expect(state.detail == nil)
    }

    @Test("Movement clamps to the rows; g and G jump; the selection stays visible when scrolling")
    func movement() {
        var state = Fixture.state(services: 100)
        _ = state.update(.key(.character("2")))
        _ = state.update(.key(.up))
        #expect(state.table(.services).selected == 0)
        _ = state.update(.key(.character("G")))
        #expect(state.table(.services).selected == 103)
        #expect(state.table(.services).offset == 103 - state.visibleRows + 1)
        _ = state.update(.key(.character("g")))
        #expect(state.table(.services).selected == 0 && state.table(.services).offset == 0)
        _ = state.update(.key(.pageDown))
        #expect(state.table(.services).selected == state.visibleRows)
    }

    @Test("Filter as you type: substring, ! inverts, re: regex; Esc clears")
    func filter() {
        var state = Fixture.state()
        _ = state.update(.key(.character("2")))
        _ = state.update(.key(.character("/")))
        for character in "rev" { _ = state.update(.key(.character(character))) }
        #expect(ViewModels.rows(state, .services).map(\.key) == ["default/reviews"])
        _ = state.update(.key(.enter))
        #expect(state.filter == "rev" && state.input == nil)
        state.filter = "!rev"
        #expect(ViewModels.rows(state, .services).count == 3)
        state.filter = "re:^default +r"
        #expect(ViewModels.rows(state, .services).map(\.key) == ["default/reviews", "default/ratings"])
        _ = state.update(.key(.escape))
        #expect(state.filter.isEmpty)
    }

    @Test("Ztunnels: :zt or z from Proxies (the Proxies tab stays lit), a row per ztunnel, Enter for its identities; z and Tab lead back")
    func ztunnels() {
        var state = Fixture.state(width: 120, height: 30)
        let expiry = state.now.addingTimeInterval(3 * 3600)
        state.snapshot?.ztunnels = [
            Ztunnel(id: "ztunnel-a.istio-system", node: "worker-1", version: "1.28.0", workloads: 4,
                    identities: [ZtunnelIdentity(identity: "spiffe://cluster.local/ns/default/sa/reviews", state: "Available", notAfter: expiry),
                                 ZtunnelIdentity(identity: "spiffe://cluster.local/ns/default/sa/ratings", state: "Unavailable", reason: "signing gRPC error")],
                    answered: true, health: HealthVerdict(.critical, reason: "spiffe://cluster.local/ns/default/sa/ratings unavailable")),
        ]
        _ = state.update(.key(.character(":")))
        for character in "zt" { _ = state.update(.key(.character(character))) }
        _ = state.update(.key(.enter))
        #expect(state.view == .ztunnels)
        let rows = ViewModels.rows(state, .ztunnels)
        #expect(rows.map { $0.cells } == [["worker-1", "ztunnel-a", "4", "2", "1", "3h0m", "-", "1.28.0", "-", "CRITICAL"]])
        let screen = Screen.render(state).lines.joined(separator: "\n")
        #expect(screen.contains("6 Proxies") && screen.contains("FIRST EXPIRY"))
        _ = state.update(.key(.enter))
        let detail = Screen.render(state).lines.joined(separator: "\n")
        #expect(detail.contains("node worker-1") && detail.contains("signing gRPC error") && detail.contains("Unavailable"))
        _ = state.update(.key(.escape))
        _ = state.update(.key(.character("z")))
        #expect(state.view == .proxies)
        _ = state.update(.key(.character("z")))
        #expect(state.view == .ztunnels)
        _ = state.update(.key(.tab))
        #expect(state.view == .events, "Tab moves on from the Proxies tab")
    }

    @Test("The palette runs commands and aliases, completes with Tab, and reports unknown ones")
    func palette() {
        var state = Fixture.state()
        _ = state.update(.key(.character(":")))
        for character in "cer" { _ = state.update(.key(.character(character))) }
        _ = state.update(.key(.tab))
        #expect(state.input == .palette("cert"), "completes to the common prefix of certs/certificates")
        _ = state.update(.key(.character("s")))
        _ = state.update(.key(.enter))
        #expect(state.view == .certificates)
        _ = state.update(.key(.character(":")))
        for character in "theme li" { _ = state.update(.key(.character(character))) }
        _ = state.update(.key(.tab))
        #expect(state.input == .palette("theme light"))
        #expect(state.update(.key(.enter)) == [.theme("light")])
        _ = state.update(.key(.character(":")))
        for character in "bogus" { _ = state.update(.key(.character(character))) }
        _ = state.update(.key(.enter))
        #expect(state.toast?.text == "unknown command :bogus")
        _ = state.update(.key(.character(":")))
        for character in "svc" { _ = state.update(.key(.character(character))) }
        _ = state.update(.key(.enter))
        #expect(state.view == .services)
        // :ns filters at once and asks the host to narrow the polling (on a cluster); :ns all widens it.
        _ = state.update(.key(.character(":")))
        for character in "ns default" { _ = state.update(.key(.character(character))) }
        #expect(state.update(.key(.enter)) == [.switchCluster(.namespace("default"))])
        #expect(state.filter == "default")
        _ = state.update(.key(.character(":")))
        for character in "ns all" { _ = state.update(.key(.character(character))) }
        #expect(state.update(.key(.enter)) == [.switchCluster(.namespace(nil))])
        #expect(state.filter.isEmpty)
        _ = state.update(.key(.character(":")))
        for character in "ctx prod" { _ = state.update(.key(.character(character))) }
        #expect(state.update(.key(.enter)) == [.switchCluster(.context("prod"))])
    }

    @Test("s sorts by the next column, S reverses; the certificate root stays visible under any filter")
    func sortingAndRoot() {
        var state = Fixture.state()
        _ = state.update(.key(.character("2")))
        _ = state.update(.key(.character("s")))
        _ = state.update(.key(.character("s")))
        _ = state.update(.key(.character("s")))
        _ = state.update(.key(.character("s")))
        _ = state.update(.key(.character("s")))
        _ = state.update(.key(.character("s")))
        #expect(state.table(.services).sortColumn == 5)
        #expect(ViewModels.rows(state, .services).map { $0.cells[5] } == ["20.20", "39.80", "40.10", "40.30"])
        _ = state.update(.key(.character("S")))
        #expect(ViewModels.rows(state, .services).first?.cells[5] == "40.30")
        _ = state.update(.key(.character("5")))
        state.filter = "productpage"
        #expect(ViewModels.rows(state, .certificates).map(\.key) == ["root:99ff", "leaf:0a1b"])
    }

    @Test("Effects: q quits, p pauses (and ignores snapshots), r refreshes, c copies the selection")
    func effects() {
        var state = Fixture.state()
        #expect(state.update(.key(.character("r"))) == [.refresh])
        #expect(state.update(.key(.character("p"))) == [.pause(true)])
        let before = state.snapshot?.generatedAt
        var later = Fixture.snapshot()
        later.generatedAt = Fixture.now.addingTimeInterval(10)
        _ = state.update(.snapshot(later))
        #expect(state.snapshot?.generatedAt == before)
        _ = state.update(.key(.character("p")))
        _ = state.update(.key(.character("2")))
        let copy = state.update(.key(.character("c")))
        guard case let .copy(text)? = copy.first else { Issue.record("no copy effect"); return }
        #expect(text.contains("\"name\" : \"productpage\""))
        #expect(state.update(.key(.character("q"))) == [.quit])
        #expect(state.update(.key(.control("c"))) == [.quit])
    }

    @Test("y shows raw JSON, w the rule behind the colour, ? the help; Esc closes")
    func overlays() {
        var state = Fixture.state()
        _ = state.update(.key(.character("2")))
        _ = state.update(.key(.character("k")))
        _ = state.update(.key(.character("y")))
        guard case let .raw(title, text, _)? = state.overlay else { Issue.record("no raw overlay"); return }
        #expect(title == "default/productpage" && text.contains("\"hostname\""))
        _ = state.update(.key(.character("y")))
        guard case let .raw(_, yaml, _)? = state.overlay else { Issue.record("no raw overlay"); return }
        #expect(yaml.contains("hostname: productpage.default.svc.cluster.local"))
        _ = state.update(.key(.escape))
        _ = state.update(.key(.character("G")))
        _ = state.update(.key(.character("w")))
        guard case let .why(_, reason)? = state.overlay else { Issue.record("no why overlay"); return }
        #expect(reason.contains("HEALTHY") || reason.contains("FAILURE") || reason.contains("DEGRADED"))
        _ = state.update(.key(.escape))
        _ = state.update(.key(.character("?")))
        #expect(state.overlay == .help)
    }

    @Test("A confirmation dialog names its target: y confirms, anything else cancels")
    func confirmation() {
        var state = Fixture.state()
        let drain = OperatorAction(kind: .failHealthCheck, proxyID: "productpage-v1-abc.default", adminURL: "http://127.0.0.1:15000")
        state.confirm(drain)
        #expect(state.update(.key(.character("y"))) == [.confirmed(drain)])
        #expect(state.overlay == nil)
        state.confirm(OperatorAction(kind: .resetCounters, proxyID: "x", adminURL: "http://x"))
        #expect(state.update(.key(.character("n"))).isEmpty)
        #expect(state.overlay == nil && state.toast?.text == "cancelled")
    }

    @Test("Help lists the keys valid in the current view")
    func helpPerView() {
        #expect(AppState.keyHelp(for: .services, detail: false).contains { $0.0 == "Enter" })
        #expect(!AppState.keyHelp(for: .routes, detail: false).contains { $0.0 == "Enter" })
        #expect(!AppState.keyHelp(for: .overview, detail: false).contains { $0.0 == "s / S" })
    }

    @Test("Snapshots' events join the timeline; poll failures are shown; resize clamps; clicks pick tabs and rows")
    func eventsAndClicks() {
        var state = Fixture.state()
        var next = Fixture.snapshot()
        next.generatedAt = Fixture.now.addingTimeInterval(5)
        next.services[0].health = HealthVerdict(.failure, reason: "5xx 12 %")
        next.events = EventDeriver.events(from: state.snapshot, to: next)
        _ = state.update(.snapshot(next))
        #expect(state.events.contains { $0.subject == "service default/productpage" && $0.severity == .critical })
        _ = state.update(.pollFailed("istiod http://x/debug/syncz: connection refused"))
        #expect(state.lastPollError?.contains("connection refused") == true)
        _ = state.update(.resize(width: 100, height: 30))
        #expect(state.width == 100)
        _ = state.update(.key(.click(x: 16, y: 0)))
        #expect(state.view == .services)
        _ = state.update(.key(.click(x: 5, y: 4)))
        #expect(state.table(.services).selected == 2)
    }

    @Test("Dashboard: navigation and quit only, rotation through the views, no operator action")
    func dashboard() {
        var state = Fixture.state()
        state.dashboard = true
        state.readOnly = true
        state.rotateEvery = 15
        for key in [Key.character("/"), .character(":"), .character("p"), .character("["), .character("X"), .character("D"), .character("y")] {
            #expect(state.update(.key(key)).isEmpty)
        }
        #expect(state.input == nil && state.overlay == nil && !state.paused)
        #expect(state.toast?.text.contains("read-only dashboard") == true)
        _ = state.update(.key(.character("6")))
        #expect(state.view == .proxies)
        _ = state.update(.tick(Fixture.now))
        _ = state.update(.tick(Fixture.now.addingTimeInterval(16)))
        #expect(state.view == .events)
        _ = state.update(.tick(Fixture.now.addingTimeInterval(32)))
        #expect(state.view == .overview)
        #expect(state.update(.key(.character("q"))) == [.quit])
    }

    @Test("Operator actions: keys on a proxy ask first; read-only and time travel refuse with a reason")
    func operatorActions() {
        var state = Fixture.state()
        _ = state.update(.key(.character("6")))
        #expect(state.update(.key(.character("D"))).isEmpty)
        guard case let .confirm(action)? = state.overlay else {
            Issue.record("no confirmation")
            return
        }
        #expect(action.kind == .failHealthCheck && action.proxyID == "productpage-v1-abc.default")
        #expect(state.update(.key(.character("y"))) == [.confirmed(action)])
        _ = state.update(.key(.character(":")))
        for character in "loglevel loud" { _ = state.update(.key(.character(character))) }
        _ = state.update(.key(.enter))
        #expect(state.overlay == nil && state.toast?.text.hasPrefix("loglevel: one of") == true)
        state.readOnly = true
        #expect(state.update(.key(.character("X"))).isEmpty)
        #expect(state.overlay == nil && state.toast?.text.contains("read-only") == true)
        state.readOnly = false
        _ = state.update(.history(.frame(StoredPoll(id: 1, at: Fixture.now), Fixture.snapshot())))
        _ = state.update(.key(.character("X")))
        #expect(state.overlay == nil && state.toast?.text.contains("live mesh") == true)
        _ = state.update(.actionResult(MeshEvent(at: Fixture.now, kind: .action, subject: "proxy p", message: "counters reset: done", severity: .info)))
        #expect(state.events.last?.kind == .action)
    }

    @Test("a source that keeps failing is one warning event, not one per poll; after a poll that answers, a new failure is a new event")
    func pollFailureEventsOnce() {
        var state = Fixture.state()
        let before = state.events.count
        var failing = state.snapshot!
        failing.sources = [SourceStatus(name: "proxy ratings.default", url: "http://127.0.0.1:15090", ok: false, error: "HTTP 404")]
        for second in 1...4 {
            failing.generatedAt = Fixture.now.addingTimeInterval(Double(second))
            _ = state.update(.snapshot(failing))
            _ = state.update(.pollFailed("proxy ratings.default http://127.0.0.1:15090/certs: HTTP 404"))
        }
        #expect(state.events.count == before + 1, "\(state.events.suffix(4).map(\.message))")
        var answering = failing
        answering.sources[0].ok = true
        answering.generatedAt = Fixture.now.addingTimeInterval(10)
        _ = state.update(.snapshot(answering))
        _ = state.update(.snapshot(failing))
        _ = state.update(.pollFailed("again"))
        #expect(state.events.count == before + 2)
    }

    @Test("Enter on an event shows its whole text, the cause of a failure first")
    func eventDetail() {
        var state = Fixture.state(width: 80, height: 24)
        let long = "proxy ratings-v1-8f4d6b2c9-t5w1z.default http://127.0.81.4:15090/config_dump?resource=dynamic_active_secrets: HTTP 404"
        state.events.append(MeshEvent(at: Fixture.now, kind: .source, subject: "proxy ratings-v1-8f4d6b2c9-t5w1z.default",
                                      message: FailureText.causeFirst(long), severity: .warning))
        _ = state.update(.key(.character("7")))
        _ = state.update(.key(.enter))
        guard case let .raw(_, text, _)? = state.overlay else {
            Issue.record("no overlay: \(String(describing: state.overlay))")
            return
        }
        #expect(text.replacingOccurrences(of: "\n", with: " ").contains("HTTP 404 — proxy ratings-v1-8f4d6b2c9-t5w1z.default http://127.0.81.4:15090/config_dump"), "\(text)")
        #expect(!text.contains("?resource"))
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 72 })
    }
}
