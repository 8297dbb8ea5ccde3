import Foundation
import MeshFeed
import MeshModel
import MeshPoller
import MeshSources
import MeshStore
import MeshUI
import MeshTestSupport
import Testing

/// The one effect runner: the terminal's effects at once, the others in the order asked.
@Suite("Effect runner", .timingSensitive)
struct EffectRunnerTests {
    let t0 = Date(timeIntervalSince1970: 1_795_000_000)

    @Test("Time-travel steps asked faster than the store answers still arrive in order, one poll each")
    func travelInOrder() async throws {
        let posted = Posted()
        let history = try HistorySession(HistorySetting(path: ":memory:", retention: Retention()), thresholds: HealthThresholds(), post: posted.post)
        let writer = try #require(history.writer)
        for offset in 0..<3 { try await writer.record(MeshSnapshot(generatedAt: t0.addingTimeInterval(Double(offset) * 2))) }
        let feed = Feed(source: ScriptedSource(duration: 0), deriver: SnapshotDeriver(), interval: 60)
        let actions = OperatorActionClient(client: MeshClient(transport: try DirectHTTPTransport(timeout: 1), policy: .readOnly))
        defer { Task { await actions.client.shutdown() } }
        let runner = EffectRunner(feed: feed, history: history, recorder: nil, actions: actions, post: posted.post)
        let terminal = TerminalLog()
        for effect in [Effect.travel(.back), .travel(.back), .copy("x"), .travel(.back), .travel(.forward), .theme("mono"), .travel(.forward), .travel(.forward)] {
            #expect(runner.run(effect, terminal: terminal))
        }
        #expect(terminal.calls == ["copy x", "theme mono"], "the terminal's effects ran at once, in order")
        #expect(!runner.run(.quit, terminal: terminal))
        await runner.finish()
        let steps = posted.all.compactMap { event -> String? in
            guard case let .history(answer) = event else { return nil }
            switch answer {
            case let .frame(poll, _): return "frame \(Int(poll.at.timeIntervalSince(t0)))"
            case .live: return "live"
            case let .unavailable(reason): return reason
            }
        }
        #expect(steps == ["frame 4", "frame 2", "frame 0", "frame 2", "frame 4", "live"])
    }

    @Test("A confirmed action is refused by a read-only session's policy, reported as an event, and followed by a poll")
    func refusedActionThenPoll() async throws {
        let posted = Posted()
        let source = ScriptedSource(duration: 0)
        let feed = Feed(source: source, deriver: SnapshotDeriver(), interval: 3600)
        let run = Task { await feed.run { _ in } }
        #expect(await eventually(timeout: 60) { await source.starts.count == 1 })
        let actions = OperatorActionClient(client: MeshClient(transport: try DirectHTTPTransport(timeout: 1), policy: .readOnly))
        let runner = EffectRunner(feed: feed, history: nil, recorder: nil, actions: actions, post: posted.post)
        #expect(runner.run(.confirmed(OperatorAction(kind: .resetCounters, proxyID: "p.default", adminURL: "http://127.0.0.1:9")), terminal: TerminalLog()))
        await runner.finish()
        let results = posted.all.compactMap { if case let .actionResult(event) = $0 { event } else { nil } }
        #expect(results.count == 1 && results[0].message.contains("refused: read-only session"), "\(results)")
        #expect(await eventually(timeout: 60) { await source.starts.count == 2 }, "the action is followed by a poll at once")
        await feed.stop()
        await run.value
        await actions.client.shutdown()
    }
}
