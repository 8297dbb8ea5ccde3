import Foundation
import Synchronization
import MeshModel
import MeshPoller
import MeshSources
import MeshStore
import MeshTerminal
import MeshUI

/// Wires a poller to the console: a background task polls every `interval` and posts snapshots;
/// the curses loop runs on its own thread. Shared by `console` and `demo`.
enum ConsoleSession {
    /// Controls the poll loop from the UI thread: pause and refresh-now.
    actor PollControl {
        var paused = false
        var wake: CheckedContinuation<Void, Never>?

        func setPaused(_ value: Bool) { paused = value; wakeUp() }
        func wakeUp() { wake?.resume(); wake = nil }

        func sleep(_ seconds: Double) async {
            await withCheckedContinuation { continuation in
                wake = continuation
                Task { [weak self] in
                    try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                    await self?.wakeUp()
                }
            }
        }
    }

    /// Where snapshots come from: live polling, a capture directory re-read on every refresh, or
    /// the newest poll of a history store that a recorder writes (no request to the mesh at all).
    enum Feed: Sendable {
        case poller(MeshPoller)
        case directory(String)
        case store(HistoryReader, path: String, cursor: StoreCursor)

        /// The next snapshot, nil when there is nothing new (a poll already running, or no new
        /// stored poll).
        func next(_ deriver: inout SnapshotDeriver) async -> Result<MeshSnapshot, SourceError>? {
            switch self {
            case let .poller(poller): return await poller.poll().map { .success(deriver.derive($0)) }
            case let .directory(path):
                do { return .success(deriver.derive(try DirectorySource.read(path))) } catch { return .failure(error) }
            case let .store(reader, path, cursor):
                do {
                    guard let poll = try reader.latestPoll() else { return .failure(SourceError(source: "--from-db \(path)", reason: .unreadable("no poll stored yet"))) }
                    // Only a new poll is news; its events are those since the previous one shown (the
                    // first one brings none: the session's history loads the stored timeline).
                    guard let previous = cursor.advance(to: poll) else { return nil }
                    var snapshot = try reader.snapshot(at: poll, thresholds: deriver.thresholds)
                    let since = previous?.at ?? .distantFuture
                    snapshot.events = snapshot.events.filter { $0.at > since }
                    return .success(snapshot)
                } catch {
                    return .failure(SourceError(source: "--from-db \(path)", reason: .unreadable("\(error)")))
                }
            }
        }

        func shutdown() async { if case let .poller(poller) = self { await poller.shutdown() } }
    }

    /// The stored poll a store-fed session showed last.
    final class StoreCursor: Sendable {
        private let last = Mutex<StoredPoll?>(nil)

        init() {}

        /// Moves to `poll`; returns the previous one (wrapped: nil inside for the first), or nil
        /// when `poll` is the one already shown.
        func advance(to poll: StoredPoll) -> StoredPoll?? {
            last.withLock { last in
                guard last != poll else { return nil }
                defer { last = poll }
                return .some(last)
            }
        }
    }

    /// Everything a console or dashboard session needs.
    struct Session {
        var feed: Feed
        var interval: Double
        var console: ConsoleOptions
        var thresholds = HealthThresholds()
        var serviceThresholds: [String: HealthThresholds] = [:]
        var history: HistorySetting?
        /// What the HTTP layer may send besides polling GETs (operator actions, or nothing).
        var policy: RequestPolicy = .operatorActions
    }

    /// The history store a session uses: its path and retention; `readOnly` for a store that
    /// another process (a recorder) writes.
    struct HistorySetting {
        var path: String
        var retention: Retention
        var readOnly = false
    }

    static func run(_ session: Session) async {
        let inbox = Inbox()
        let control = PollControl()
        let history = await openHistory(session.history, inbox: inbox, thresholds: session.thresholds)
        let actions = OperatorActionClient(client: MeshClient(transport: try! DirectHTTPTransport(timeout: 5), policy: session.policy))
        let feeder = Task {
            var deriver = SnapshotDeriver(thresholds: session.thresholds)
            deriver.serviceThresholds = session.serviceThresholds
            while !Task.isCancelled {
                if await control.paused == false, let result = await session.feed.next(&deriver) {
                    switch result {
                    case let .success(snapshot):
                        inbox.post(.snapshot(snapshot))
                        await history?.polled(snapshot)
                        // Without a local store, TREND comes from Prometheus's history (query_range).
                        if history == nil, case let .poller(poller) = session.feed, let prometheus = poller.prometheus,
                           let trends = try? await prometheus.serviceTrends(minutes: ConsoleHistory.trendMinutes, endingAt: snapshot.generatedAt) {
                            inbox.post(.trends(trends, at: nil))
                        }
                        if !snapshot.sources.contains(where: \.ok) {
                            inbox.post(.pollFailed(snapshot.sources.first?.error ?? "no source answered"))
                        }
                    case let .failure(error):
                        inbox.post(.pollFailed("\(error)"))
                    }
                }
                await control.sleep(session.interval)
            }
        }
        Signals.onTermination { _ in inbox.requestQuit() }
        let requests: @Sendable (Effect) -> Void = { effect in
            Task {
                guard case let .confirmed(action) = effect else { return await history?.handle(effect) ?? () }
                // An operator action: the policy decides at the HTTP layer; the outcome is an event.
                let event = await actions.perform(action)
                inbox.post(.actionResult(event))
                await history?.record(event)
                await control.wakeUp() // poll at once: the action's effect shows up
            }
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                ConsoleRunner.run(options: session.console, inbox: inbox, control: ConsoleControl(
                    refresh: { Task { await control.wakeUp() } },
                    pause: { paused in Task { await control.setPaused(paused) } },
                    request: requests), historyAvailable: history != nil)
                done.resume()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        feeder.cancel()
        await session.feed.shutdown()
        await actions.client.shutdown()
    }

    /// The session's history store, or nil (with the reason printed before curses takes the
    /// screen) when it cannot be opened: the console still works without history.
    static func openHistory(_ setting: HistorySetting?, inbox: Inbox, thresholds: HealthThresholds) async -> ConsoleHistory? {
        guard let setting else { return nil }
        do {
            let history = try ConsoleHistory(setting, inbox: inbox, thresholds: thresholds)
            await history.loadEvents()
            return history
        } catch {
            FileHandle.printError("meshtop: running without history: \(error)")
            try? await Task.sleep(nanoseconds: 1_500_000_000)
            return nil
        }
    }

    /// Themes from `$MESHTOP_THEMES`, next to the binary, the working directory, or the source tree.
    static func loadThemes() throws -> [String: Theme] {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        var candidates: [URL] = []
        if let path = ProcessInfo.processInfo.environment["MESHTOP_THEMES"] { candidates.append(URL(fileURLWithPath: path)) }
        candidates += [executable.appendingPathComponent("../share/meshtop/Themes"), URL(fileURLWithPath: "Themes"),
                       URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Themes")]
        for directory in candidates where FileManager.default.fileExists(atPath: directory.appendingPathComponent("default.yaml").path) {
            return try Theme.loadAll(directory: directory)
        }
        throw SourceError(source: "themes", reason: .unreadable("no Themes/ directory found (set MESHTOP_THEMES)"))
    }
}
