import Foundation
import Testing
import MeshModel
import MeshTestSupport
@testable import MeshUI

/// Every view rendered into a buffer at 80×24 and 160×48, compared with reviewed goldens
/// (rows fenced with `|`, then role runs). A missing golden is written next to the others as
/// `NAME.txt` and the test fails until it is reviewed and committed; set MESHTOP_RECORD_GOLDENS=1
/// to rewrite them all after an intended change (the run still fails, so review is not skipped).
@Suite("View goldens")
struct GoldenTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens")

    static let scenes: [(String, @Sendable (inout AppState) -> Void)] = [
        ("overview", { _ in }),
        ("services", { _ = $0.update(.key(.character("2"))) }),
        ("service-detail", { state in
            state.historyAvailable = true
            _ = state.update(.key(.character("2")))
            _ = state.update(.key(.enter))
            let rps = (0..<60).map { 38 + Double($0 % 7) }
            _ = state.update(.charts(ServiceCharts(service: "default/productpage", range: .hour, rps: rps,
                                                   success: (0..<60).map { $0 > 40 && $0 < 46 ? 0.97 : 1 }, p99: rps.map { $0 * 2.5 })))
        }),
        ("history-services", { state in
            state.historyAvailable = true
            _ = state.update(.key(.character("2")))
            var stored = state.snapshot!
            stored.generatedAt = Fixture.now.addingTimeInterval(-600)
            let position = StoredPoll(id: 42, at: stored.generatedAt)
            _ = state.update(.history(.frame(position, stored)))
            _ = state.update(.trends(["default/reviews": [10, 20, 30, 40, 35]], at: position))
            _ = state.update(.trends(["default/reviews": [1, 1, 1]], at: nil)) // live series: not for the past
        }),
        ("topology", { _ = $0.update(.key(.character("3"))) }),
        ("topology-focus", { state in
            _ = state.update(.key(.character("3")))
            _ = state.update(.key(.character("j")))
            _ = state.update(.key(.enter))
        }),
        ("routes", { _ = $0.update(.key(.character("4"))) }),
        ("certificates", { _ = $0.update(.key(.character("5"))) }),
        ("proxies", { _ = $0.update(.key(.character("6"))) }),
        ("proxy-detail", { _ = $0.update(.key(.character("6"))); _ = $0.update(.key(.character("j"))); _ = $0.update(.key(.enter)) }),
        ("events", { _ = $0.update(.key(.character("7"))) }),
        ("help", { _ = $0.update(.key(.character("2"))); _ = $0.update(.key(.character("?"))) }),
        ("dashboard", { state in
            state.dashboard = true
            state.readOnly = true
            _ = state.update(.key(.character("/"))) // ignored: the dashboard takes navigation keys only
        }),
        ("confirm", { state in _ = state.update(.key(.character("6"))); _ = state.update(.key(.character("X"))) }),
        ("confirm-drain", { state in _ = state.update(.key(.character("6"))); _ = state.update(.key(.character("D"))) }),
        ("filter", { state in _ = state.update(.key(.character("2"))); for c in "/re" { _ = state.update(.key(.character(c))) } }),
    ]

    static var arguments: [(String, Int, Int)] {
        scenes.flatMap { scene in [(scene.0, 80, 24), (scene.0, 160, 48)] } + [("too-small", 60, 20)]
    }

    @Test("Golden", arguments: arguments)
    func golden(_ name: String, width: Int, height: Int) throws {
        var state = Fixture.state(width: width, height: height)
        Self.scenes.first { $0.0 == name }?.1(&state)
        let rendered = Screen.render(state).golden
        let file = Self.directory.appendingPathComponent("\(name)-\(width)x\(height).txt")
        let record = ProcessInfo.processInfo.environment["MESHTOP_RECORD_GOLDENS"] == "1"
        guard !record, let expected = try? String(contentsOf: file, encoding: .utf8) else {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            try rendered.write(to: file, atomically: true, encoding: .utf8)
            Issue.record("golden \(file.lastPathComponent) was (re)recorded: review it, commit it, run again")
            return
        }
        if let diff = LineDiff.describe(expected: expected, actual: rendered) {
            Issue.record("\(file.lastPathComponent) differs (MESHTOP_RECORD_GOLDENS=1 rewrites it after an intended change): \(diff)")
        }
    }

    @Test("Nothing is drawn outside the buffer and mesh text never carries escape sequences")
    func sanitised() {
        var state = Fixture.state()
        var snapshot = Fixture.snapshot()
        snapshot.services[0].name = "evil\u{1B}[2J\u{1B}]52;c;AAAA\u{07}name\u{202E}"
        _ = state.update(.snapshot(snapshot))
        _ = state.update(.key(.character("2")))
        let lines = Screen.render(state).lines
        #expect(lines.allSatisfy { line in !line.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E } })
        #expect(lines.contains { $0.contains("evilname") })
    }

    @Test("A golden that differs is reported as its differing lines, numbered, expected above actual")
    func lineDiff() throws {
        let expected = (1...24).map { "|row \($0)|" }.joined(separator: "\n")
        var rows = (1...24).map { "|row \($0)|" }
        rows[4] = "|row five|"
        rows.append("|extra|")
        let report = try #require(LineDiff.describe(expected: expected, actual: rows.joined(separator: "\n")))
        #expect(report.split(separator: "\n") == [
            "2 of 25 lines differ (- expected, + actual)",
            "   5 - |row 5|", "   5 + |row five|",
            "  25 - (no line)", "  25 + |extra|",
        ])
        #expect(LineDiff.describe(expected: expected, actual: expected) == nil)
    }
}
