import ArgumentParser
import Foundation
import MeshFeed
import MeshModel
import MeshPoller
import MeshSources
import MeshStore
import Synchronization

/// `meshtop record`: polls headless and writes the history store, so that one process can feed
/// many dashboards (`meshtop dashboard --from-db`, `meshtop history`, the console's time travel).
struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Poll the mesh headless and write the history store (SIGTERM finishes the current write and exits 0).")

    @OptionGroup var sources: SourceOptions
    @OptionGroup var history: HistoryOptions
    @Option(help: "Configuration file (default: $XDG_CONFIG_HOME/meshtop/config.yaml).") var config: String?
    @Option(help: "Seconds between polls (default: the configuration's refresh, else 2).") var interval: Double?
    @Option(help: "Stop after this long (e.g. 10m, 24h); default: until SIGINT/SIGTERM.") var duration: String?
    @Flag(help: "Print one line per poll to stderr.") var verbose = false

    func validate() throws {
        if let interval, interval <= 0 { throw ValidationError("--interval must be positive") }
        if let duration, TimeSpec.duration(duration) == nil { throw ValidationError("--duration \(duration): not a duration (e.g. 90s, 10m, 24h)") }
    }

    func run() async throws {
        let settings = try MeshtopConfig.load(path: config)
        let poller: MeshPoller
        do { poller = try await sources.makePoller(settings) } catch let error as UsageError {
            FileHandle.printError("meshtop record: \(error.message)")
            throw ExitCode(64)
        }
        let path = history.path(settings)
        let store: HistoryStore
        do { store = try HistoryStore(path: path) } catch {
            FileHandle.printError("meshtop record: \(error)")
            throw ExitCode(3)
        }
        let lock = path == ":memory:" ? nil : WriterLock(databasePath: path)
        if path != ":memory:", lock == nil {
            FileHandle.printError("meshtop record: another meshtop is already recording to \(path)")
            throw ExitCode(3)
        }
        let writer = try store.writer(retention: try history.retention(settings))
        var deriver = SnapshotDeriver(thresholds: settings.healthThresholds)
        deriver.serviceThresholds = settings.serviceThresholds
        let interval = self.interval ?? settings.refresh ?? 2
        let feed = Feed(source: PollerFeedSource(poller), deriver: deriver, interval: interval,
                        recorder: Recorder(writer: writer))
        let deadline = duration.flatMap(TimeSpec.duration).map { Date().addingTimeInterval($0) }
        let tally = Mutex(Tally())
        Signals.onTermination { name in
            tally.withLock { $0.stopReason = $0.stopReason ?? name }
            Task { await feed.stop() }
        }
        let timer = deadline.map { deadline in
            Task {
                try? await Task.sleep(nanoseconds: UInt64(max(0, deadline.timeIntervalSinceNow) * 1e9))
                await feed.stop()
            }
        }
        FileHandle.printError("meshtop record: writing \(path) every \(interval) s" + (deadline.map { " until \(Clock.hms($0))" } ?? "") + "; SIGINT/SIGTERM stops")
        let started = Date()
        let verbose = verbose
        await feed.run { event in
            for line in tally.withLock({ $0.lines(for: event, verbose: verbose) }) { FileHandle.printError(line) }
        }
        timer?.cancel()
        await feed.shutdown()
        let result = tally.withLock { $0 }
        let reason = result.stopReason.map { " (\($0))" } ?? ""
        FileHandle.printError("meshtop record: stopped\(reason) after \(result.polls) polls, \(result.samples) samples in \(Int(Date().timeIntervalSince(started))) s"
            + (result.failures > 0 ? ", \(result.failures) failed writes" : "") + (result.dropped > 0 ? ", \(result.dropped) polls not written" : ""))
        if result.failures > 0, result.polls == 0 { throw ExitCode(3) }
        withExtendedLifetime(lock) {}
    }
}

/// What `record` counts and says as the feed publishes: polls and samples written, failed
/// writes, and whether the mesh answers.
struct Tally: Sendable {
    var polls = 0, samples = 0, failures = 0, dropped = 0
    var answering = true
    var stopReason: String?

    /// The lines to print for `event` (with `verbose`, one per poll and per failing source).
    mutating func lines(for event: FeedEvent, verbose: Bool) -> [String] {
        switch event {
        case let .snapshot(snapshot, baseline):
            var lines: [String] = []
            if baseline, verbose { lines.append("\(Clock.hms(snapshot.generatedAt)) first poll: the baseline for rates (not stored)") }
            if verbose { lines += snapshot.sources.filter { !$0.ok }.map { "  \($0.error ?? $0.name)" } }
            // Without --verbose, say when the mesh stops answering and when it is back.
            let now = snapshot.sources.contains(where: \.ok)
            if now != answering, !verbose {
                lines.append(now ? "meshtop record: sources answering again"
                                 : "meshtop record: no source answered (\(snapshot.sources.first?.error ?? "no source")); recording the outage")
            }
            answering = now
            return lines
        case let .recorded(written, snapshot):
            polls += 1
            samples += written.samples
            guard verbose else { return [] }
            return ["\(Clock.hms(snapshot.generatedAt)) poll \(written.poll): \(snapshot.services.count) services, "
                + "\(snapshot.edges.count) edges, \(snapshot.proxies.count) proxies, \(written.statesChanged) state changes, "
                + "\(written.configRevisions) config revisions, \(snapshot.events.count) events, "
                + "\(snapshot.sources.filter { !$0.ok }.count) sources failing, \(Int(Date().timeIntervalSince(snapshot.generatedAt) * 1000)) ms"]
        case let .recordFailed(message):
            failures += 1
            return ["meshtop record: \(message)"]
        case let .recordsDropped(count):
            dropped += count
            return ["meshtop record: \(count) poll\(count == 1 ? "" : "s") not written (the history store is slower than the polls)"]
        case let .failed(error):
            return ["meshtop record: \(error)"]
        }
    }
}
