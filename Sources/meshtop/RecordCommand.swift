import ArgumentParser
import Foundation
import MeshModel
import MeshPoller
import MeshSources
import MeshStore

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
        let options: PollerOptions
        do { options = try sources.pollerOptions(settings) } catch let error as UsageError {
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
        let poller = try MeshPoller(options: options)
        var deriver = SnapshotDeriver(thresholds: settings.healthThresholds)
        deriver.serviceThresholds = settings.serviceThresholds
        let interval = self.interval ?? settings.refresh ?? 2
        let deadline = duration.flatMap(TimeSpec.duration).map { Date().addingTimeInterval($0) }
        let stop = StopSignal()
        Signals.onTermination { name in Task { await stop.stop(name) } }
        FileHandle.printError("meshtop record: writing \(path) every \(interval) s" + (deadline.map { " until \(Clock.hms($0))" } ?? "") + "; SIGINT/SIGTERM stops")

        var polls = 0, samples = 0, failures = 0, first = true, wasAnswering = true
        let started = Date()
        while await !stop.stopped {
            let began = Date()
            if let round = await poller.poll() {
                let snapshot = deriver.derive(round)
                if first {
                    // The first poll only sets the baseline: rates need two.
                    first = false
                    if verbose { FileHandle.printError("\(Clock.hms(snapshot.generatedAt)) first poll: the baseline for rates (not stored)") }
                } else if let written = await write(snapshot, to: writer, began: began) {
                    polls += 1
                    samples += written.samples
                } else {
                    failures += 1
                }
                for source in snapshot.sources where !source.ok && verbose { FileHandle.printError("  \(source.error ?? source.name)") }
                // Without --verbose, say when the mesh stops answering and when it is back.
                let answering = snapshot.sources.contains(where: \.ok)
                if answering != wasAnswering, !verbose {
                    FileHandle.printError(answering ? "meshtop record: sources answering again"
                                                    : "meshtop record: no source answered (\(snapshot.sources.first?.error ?? "no source")); recording the outage")
                }
                wasAnswering = answering
            }
            if let deadline, Date() >= deadline { break }
            let wait = max(0.05, interval - Date().timeIntervalSince(began))
            await stop.sleep(min(wait, deadline.map { max(0.05, $0.timeIntervalSinceNow) } ?? wait))
        }
        await poller.shutdown()
        let reason = await stop.reason.map { " (\($0))" } ?? ""
        FileHandle.printError("meshtop record: stopped\(reason) after \(polls) polls, \(samples) samples in \(Int(Date().timeIntervalSince(started))) s"
            + (failures > 0 ? ", \(failures) failed writes" : ""))
        if failures > 0, polls == 0 { throw ExitCode(3) }
        withExtendedLifetime(lock) {}
    }

    /// Writes one snapshot; a failed write is reported and the recorder goes on with the next poll.
    func write(_ snapshot: MeshSnapshot, to writer: HistoryWriter, began: Date) async -> HistoryWriter.Written? {
        do {
            let written = try await writer.record(snapshot)
            if verbose {
                FileHandle.printError("\(Clock.hms(snapshot.generatedAt)) poll \(written.poll): \(snapshot.services.count) services, "
                    + "\(snapshot.edges.count) edges, \(snapshot.proxies.count) proxies, \(written.statesChanged) state changes, "
                    + "\(written.configRevisions) config revisions, \(snapshot.events.count) events, "
                    + "\(snapshot.sources.filter { !$0.ok }.count) sources failing, \(Int(Date().timeIntervalSince(began) * 1000)) ms")
            }
            return written
        } catch {
            FileHandle.printError("meshtop record: \(error)")
            return nil
        }
    }
}

/// A stop request from a signal, with a sleep it cuts short.
actor StopSignal {
    private(set) var stopped = false
    private(set) var reason: String?
    private var wake: CheckedContinuation<Void, Never>?

    func stop(_ reason: String) {
        stopped = true
        self.reason = reason
        wake?.resume()
        wake = nil
    }

    func sleep(_ seconds: Double) async {
        guard !stopped else { return }
        await withCheckedContinuation { continuation in
            wake = continuation
            Task {
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                self.timeUp()
            }
        }
    }

    private func timeUp() {
        wake?.resume()
        wake = nil
    }
}
