import Foundation
import MeshFeed
import MeshModel
import MeshSources
import MeshUI
import Synchronization

/// A feed source that answers after `duration`, recording when each read started and ended and
/// how many were in flight at once.
actor ScriptedSource: FeedSource {
    let duration: TimeInterval
    private(set) var starts: [Date] = []
    private(set) var ends: [Date] = []
    private(set) var mostInFlight = 0
    private var inFlight = 0
    nonisolated let firstIsBaseline: Bool

    init(duration: TimeInterval, firstIsBaseline: Bool = true) {
        self.duration = duration
        self.firstIsBaseline = firstIsBaseline
    }

    func read() async -> FeedRead {
        starts.append(Date())
        inFlight += 1
        mostInFlight = max(mostInFlight, inFlight)
        try? await Task.sleep(nanoseconds: UInt64(duration * 1e9))
        inFlight -= 1
        ends.append(Date())
        return .snapshot(MeshSnapshot(generatedAt: Date()))
    }

    func shutdown() async {}
}

/// Everything published, in order.
final class Published: Sendable {
    private let events = Mutex<[FeedEvent]>([])

    func append(_ event: FeedEvent) { events.withLock { $0.append(event) } }

    var all: [FeedEvent] { events.withLock { $0 } }

    var snapshots: [(MeshSnapshot, baseline: Bool)] {
        all.compactMap { if case let .snapshot(snapshot, baseline) = $0 { (snapshot, baseline) } else { nil } }
    }

    var recorded: Int { all.filter { if case .recorded = $0 { true } else { false } }.count }
}

/// App events posted to the console, in order.
final class Posted: Sendable {
    private let events = Mutex<[AppEvent]>([])

    func post(_ event: AppEvent) { events.withLock { $0.append(event) } }

    var all: [AppEvent] { events.withLock { $0 } }
}

/// The terminal's side of effects, recorded.
final class TerminalLog: TerminalEffects, @unchecked Sendable {
    // Safe: used from one thread in each test.
    var calls: [String] = []

    func copyToClipboard(_ text: String) { calls.append("copy \(text)") }
    func applyTheme(named name: String) { calls.append("theme \(name)") }
}

/// Waits (polling every 20 ms) until `condition` holds or `timeout` passes; returns whether it held.
func eventually(timeout: TimeInterval = 10, _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if await condition() { return true }
        try? await Task.sleep(nanoseconds: 20_000_000)
    }
    return await condition()
}
