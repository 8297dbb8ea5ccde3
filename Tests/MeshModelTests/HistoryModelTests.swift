import Foundation
import MeshTestSupport
import Testing
@testable import MeshModel

@Suite("Unified diffs, events and time specs")
struct HistoryModelTests {
    @Test("Unified diff: hunks with context, counts and headers like diff -u")
    func unifiedDiff() {
        let old = (1...20).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let new = old.replacingOccurrences(of: "line 5\n", with: "line five\n").replacingOccurrences(of: "line 18\n", with: "")
        let diff = UnifiedDiff.make(old: old, new: new, oldLabel: "a/x", newLabel: "b/x")
        #expect(diff == """
            --- a/x
            +++ b/x
            @@ -2,7 +2,7 @@
             line 2
             line 3
             line 4
            -line 5
            +line five
             line 6
             line 7
             line 8
            @@ -15,6 +15,5 @@
             line 15
             line 16
             line 17
            -line 18
             line 19
             line 20

            """)
        #expect(UnifiedDiff.make(old: old, new: old).isEmpty)
        #expect(UnifiedDiff.make(old: "", new: "a\nb\n").contains("@@ -0,0 +1,2 @@"))
    }

    @Test("Unified diff: `patch` turns the old text into the new one for 200 random edits")
    func diffAppliesWithPatch() async throws {
        var generator = SystemRandomNumberGenerator()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for round in 0..<200 {
            let old = (0..<Int.random(in: 0...30, using: &generator)).map { _ in "v\(Int.random(in: 0...6, using: &generator))" }
            var new = old
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                switch Int.random(in: 0...2, using: &generator) {
                case 0 where !new.isEmpty: new.remove(at: Int.random(in: 0..<new.count, using: &generator))
                case 1: new.insert("n\(round)", at: Int.random(in: 0...new.count, using: &generator))
                default: if !new.isEmpty { new[Int.random(in: 0..<new.count, using: &generator)] = "c\(round)" }
                }
            }
            let oldText = old.map { $0 + "\n" }.joined(), newText = new.map { $0 + "\n" }.joined()
            let diff = UnifiedDiff.make(old: oldText, new: newText, context: Int.random(in: 0...3, using: &generator))
            guard !diff.isEmpty else {
                #expect(oldText == newText)
                continue
            }
            let source = directory.appendingPathComponent("old"), patchFile = directory.appendingPathComponent("diff"),
                output = directory.appendingPathComponent("new")
            try oldText.write(to: source, atomically: true, encoding: .utf8)
            try diff.write(to: patchFile, atomically: true, encoding: .utf8)
            // 200 runs of patch: each waited for off the concurrency pool (ProcessRunner).
            let result = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/patch"),
                                                     ["--quiet", "--force", "-o", output.path, source.path, patchFile.path])
            #expect(result.status == 0, "patch failed on:\n\(diff)")
            #expect((try? String(contentsOf: output, encoding: .utf8)) == newText, "wrong result for:\n\(diff)")
        }
    }

    static let at = Date(timeIntervalSince1970: 1_764_000_000)

    static func snapshot(_ offset: Double, health: Health = .healthy, certificate: Health = .healthy, sourceOK: Bool = true,
                         routes: String = "weight: 50", vs: String = "weight: 50") -> MeshSnapshot {
        MeshSnapshot(
            generatedAt: at.addingTimeInterval(offset),
            sources: [SourceStatus(name: "proxy a", url: "http://a", ok: sourceOK, error: sourceOK ? nil : "connection refused")],
            services: [Service(name: "reviews", namespace: "default", hostname: "reviews", traffic: TrafficMetrics(rps: 10),
                               health: HealthVerdict(health, reason: "r"))],
            certificates: [Certificate(serial: "01", kind: .leaf, spiffeID: "spiffe://x", notBefore: at, notAfter: at.addingTimeInterval(86400),
                                       health: HealthVerdict(certificate, reason: "c"))],
            configs: [ConfigDocument(kind: "VirtualService", namespace: "default", name: "reviews", hash: vs, text: vs + "\n"),
                      ConfigDocument(kind: ConfigDocument.proxyRoutes, namespace: "default", name: "a", hash: routes, text: routes + "\n"),
                      ConfigDocument(kind: ConfigDocument.proxyRoutes, namespace: "default", name: "b", hash: routes, text: routes + "\n")])
    }

    @Test("Events: health transitions, certificate thresholds, sources failing and recovering, config changes with diffs")
    func events() {
        #expect(EventDeriver.events(from: nil, to: Self.snapshot(0)).isEmpty)
        #expect(EventDeriver.events(from: Self.snapshot(0), to: Self.snapshot(2)).isEmpty)
        let changed = EventDeriver.events(from: Self.snapshot(0), to: Self.snapshot(2, health: .failure, certificate: .warning, sourceOK: false,
                                                                                  routes: "weight: 80", vs: "weight: 80"))
        #expect(changed.map(\.kind) == [.health, .certificate, .source, .config, .config])
        #expect(changed[0].severity == .critical && changed[0].message.hasPrefix("healthy → failure"))
        #expect(changed[2].message == "connection refused")
        #expect(changed[3].subject == "VirtualService default/reviews" && changed[3].diff?.contains("+weight: 80") == true)
        // Both proxies made the same change: one event names them.
        #expect(changed[4].subject == "ProxyRoutes on 2 proxies")
        let recovered = EventDeriver.events(from: Self.snapshot(2, sourceOK: false), to: Self.snapshot(4))
        #expect(recovered.map(\.message) == ["recovered (http://a)"])
        // Healthy ↔ idle is traffic starting or stopping, not an event.
        #expect(EventDeriver.events(from: Self.snapshot(0), to: Self.snapshot(2, health: .idle)).isEmpty)
    }

    @Test("Time specs: durations, clock times, dates, RFC 3339, @unix")
    func timeSpecs() throws {
        #expect(TimeSpec.duration("90s") == 90)
        #expect(TimeSpec.duration("1h30m") == 5400)
        #expect(TimeSpec.duration("30d") == 2_592_000.0)
        #expect(TimeSpec.duration("soon") == nil)
        let utc = try #require(TimeZone(identifier: "UTC"))
        let now = Date(timeIntervalSince1970: 1_764_165_730) // 2025-11-26T14:02:10Z
        #expect(TimeSpec.instant("15m", now: now) == now.addingTimeInterval(-900))
        #expect(TimeSpec.instant("14:02", now: now, timeZone: utc) == Date(timeIntervalSince1970: 1_764_165_720))
        #expect(TimeSpec.instant("14:02:10", now: now, timeZone: utc) == now)
        #expect(TimeSpec.instant("2025-11-26 14:02:10", now: now, timeZone: utc) == now)
        #expect(TimeSpec.instant("2025-11-26T14:02:10Z", now: now) == now)
        #expect(TimeSpec.instant("@1764165730") == now)
        #expect(TimeSpec.instant("25:00", now: now) == nil)
        #expect(TimeSpec.instant("yesterday-ish", now: now) == nil)
    }
}
