import Foundation
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

    /// Where snapshots come from: live polling, or a capture directory re-read on every refresh.
    enum Feed: Sendable {
        case poller(MeshPoller)
        case directory(String)

        func round() async -> Result<PollRound, SourceError>? {
            switch self {
            case let .poller(poller): return await poller.poll().map { .success($0) }
            case let .directory(path):
                do { return .success(try DirectorySource.read(path)) } catch let error as SourceError { return .failure(error) } catch {
                    return .failure(SourceError(source: "dir:\(path)", reason: "\(error)"))
                }
            }
        }

        func shutdown() async { if case let .poller(poller) = self { await poller.shutdown() } }
    }

    static func run(poller: MeshPoller, interval: Double, console: ConsoleOptions,
                    thresholds: (HealthThresholds, [String: HealthThresholds]) = (HealthThresholds(), [:]), history: HistorySetting? = nil) async {
        await run(feed: .poller(poller), interval: interval, console: console, thresholds: thresholds, history: history)
    }

    /// The history store a session uses: its path and retention.
    struct HistorySetting {
        var path: String
        var retention: Retention
    }

    static func run(feed: Feed, interval: Double, console: ConsoleOptions,
                    thresholds: (HealthThresholds, [String: HealthThresholds]) = (HealthThresholds(), [:]), history setting: HistorySetting? = nil) async {
        let inbox = Inbox()
        let control = PollControl()
        let history = await openHistory(setting, inbox: inbox, thresholds: thresholds.0)
        let feeder = Task {
            var deriver = SnapshotDeriver(thresholds: thresholds.0)
            deriver.serviceThresholds = thresholds.1
            while !Task.isCancelled {
                if await control.paused == false, let result = await feed.round() {
                    switch result {
                    case let .success(round):
                        let snapshot = deriver.derive(round)
                        inbox.post(.snapshot(snapshot))
                        await history?.polled(snapshot)
                        if !snapshot.sources.contains(where: \.ok) {
                            inbox.post(.pollFailed(snapshot.sources.first?.error ?? "no source answered"))
                        }
                    case let .failure(error):
                        inbox.post(.pollFailed("\(error)"))
                    }
                }
                await control.sleep(interval)
            }
        }
        Signals.onTermination { _ in inbox.requestQuit() }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                ConsoleRunner.run(options: console, inbox: inbox, control: ConsoleControl(
                    refresh: { Task { await control.wakeUp() } },
                    pause: { paused in Task { await control.setPaused(paused) } },
                    request: { effect in Task { await history?.handle(effect) } }), historyAvailable: history != nil)
                done.resume()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        feeder.cancel()
        await feed.shutdown()
    }

    /// The session's history store, or nil (with the reason printed before curses takes the
    /// screen) when it cannot be opened: the console still works without history.
    static func openHistory(_ setting: HistorySetting?, inbox: Inbox, thresholds: HealthThresholds) async -> ConsoleHistory? {
        guard let setting else { return nil }
        do {
            let history = try ConsoleHistory(path: setting.path, retention: setting.retention, inbox: inbox, thresholds: thresholds)
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
        throw SourceError(source: "themes", reason: "no Themes/ directory found (set MESHTOP_THEMES)")
    }
}
