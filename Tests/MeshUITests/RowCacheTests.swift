import Foundation
import MeshModel
import Testing
@testable import MeshUI

/// The table rows are cached between keys and frames: every change of what they show must
/// still reach the screen, and the byte-level formatters must write what Foundation writes.
@Suite("Row cache and cell formatting")
struct RowCacheTests {
    static func names(_ state: AppState, _ view: ViewID) -> [String] { ViewModels.rows(state, view).map(\.key) }

    @Test("a new snapshot, filter, sort, second or trend reaches the rows; copies of a state keep their own")
    func invalidation() {
        var state = Fixture.state()
        _ = state.update(.key(.character("6")))
        #expect(Self.names(state, .proxies) == ["productpage-v1-abc.default", "details-v1-x.default"])
        let before = state
        var next = state.snapshot!
        next.proxies.removeFirst()
        next.generatedAt = next.generatedAt.addingTimeInterval(2)
        _ = state.update(.snapshot(next))
        #expect(Self.names(state, .proxies) == ["details-v1-x.default"])
        #expect(Self.names(before, .proxies).count == 2, "a copy from before the snapshot still shows its own")
        _ = state.update(.snapshot(before.snapshot!))
        state.filter = "productpage"
        #expect(Self.names(state, .proxies) == ["productpage-v1-abc.default"])
        state.filter = ""
        _ = state.update(.key(.character("s")))
        let sorted = Self.names(state, .proxies)
        _ = state.update(.key(.character("S")))
        #expect(Self.names(state, .proxies) == sorted.reversed())

        let stale = { (state: AppState) in ViewModels.rows(state, .proxies).first { $0.key == "details-v1-x.default" }?.cells[3] }
        let age = stale(state)
        state.now = state.now.addingTimeInterval(-60) // STALE 2m → STALE 90s
        #expect(stale(state) != age, "ages move with the clock: \(age ?? "-") → \(stale(state) ?? "-")")

        _ = state.update(.key(.character("2")))
        let trend = { (state: AppState) in ViewModels.rows(state, .services).first { $0.key == "default/reviews" }?.cells[10] }
        let flat = trend(state)
        state.trends["default/reviews"] = [1, 5, 9, 2, 7]
        #expect(trend(state) != flat)
    }

    @Test("dateMinute writes what the DateFormatter writes")
    func dateMinute() {
        for seconds in [0.0, 59.9, 951_782_400, 1_795_000_000.5, 4_102_444_799] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(ViewModels.dateMinute(date) == ViewModels.dateFormatter.string(from: date))
        }
    }

    @Test("host of istiod addresses: URLs, Kubernetes routes, bare names")
    func host() {
        #expect(ViewModels.host("http://10.0.0.5:15014") == "10.0.0.5")
        #expect(ViewModels.host("https://istiod.istio-system.svc/debug") == "istiod.istio-system.svc")
        #expect(ViewModels.host("portforward://istio-system/istiod-6c9d8f7b5-x2x4q:15014") == "istiod-6c9d8f7b5-x2x4q")
        #expect(ViewModels.host("podproxy://istio-system/istiod-1:15014") == "istiod-1")
        #expect(ViewModels.host("istiod-6c9d8f7b5-x2x4q") == "istiod-6c9d8f7b5-x2x4q")
    }
}
