import ArgumentParser
import Foundation
import MeshFeed
import MeshModel
import MeshPoller
import MeshSources
import MeshStore
import MeshUI
import Yams

/// `meshtop snapshot`: poll once (twice, for rates), print the mesh, optionally check it.
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Poll the mesh and print a snapshot as JSON, YAML, CSV or text; --check sets the exit code.",
        discussion: """
            Rates and latency percentiles come from counter increases between two polls: the second \
            starts --interval (5 s by default) after the first one started, or as soon as it ended if \
            it took longer, so a snapshot takes about --interval plus one poll. A --source dir:PATH capture \
            is a single poll: it has no rates.

            Exit codes: 0 ok; 1 warnings with --check --fail-on warning; 2 critical findings with --check; \
            3 no source could be read at all; 64 usage error.
            """)

    @OptionGroup var sources: SourceOptions
    @Option(help: "Read captured outputs instead of polling: dir:PATH.") var source: String?
    @Option(help: "Configuration file (default: $XDG_CONFIG_HOME/meshtop/config.yaml).") var config: String?
    @Option(help: "Seconds between the two polls that rates are computed from.") var interval: Double = 5
    @Option(help: "Requests in flight at once.") var concurrency: Int = 64
    @Option(name: .customLong("max-body"), help: "Largest response body accepted, bytes.") var maxBody: Int = 64 << 20
    @Option(name: .shortAndLong, help: "json, yaml, csv or text.") var output: String = "text"
    @Option(help: "Only this section (services, edges, proxies, certs, routes, findings, sources; topology with -o text); csv needs one.") var section: String?
    @Flag(help: "Apply the health thresholds and set the exit code.") var check = false
    @Flag(help: "ASCII instead of box drawing (--section topology).") var ascii = false
    @Option(help: "With --check: fail on warning or critical findings.") var failOn: String = "critical"
    @Option(help: "Print a stored snapshot from this history store instead of polling (the latest, or the one at --at).") var fromDb: String?
    @Option(help: "With --from-db: the stored poll at or before this time (14:02, 10m, 2026-11-26 14:02, RFC 3339, @unix).") var at: String?

    func validate() throws {
        guard ["json", "yaml", "csv", "text"].contains(output) else { throw ValidationError("-o must be json, yaml, csv or text") }
        if let section, SnapshotSection(rawValue: section) == nil, section != "topology" { throw ValidationError("unknown --section \(section)") }
        if section == "topology", output != "text" { throw ValidationError("--section topology is a drawing: use -o text") }
        if output == "csv", section == nil { throw ValidationError("-o csv needs --section") }
        guard ["warning", "critical"].contains(failOn) else { throw ValidationError("--fail-on must be warning or critical") }
        if let source, !source.hasPrefix("dir:") { throw ValidationError("--source must be dir:PATH") }
        if let at, TimeSpec.instant(at) == nil { throw ValidationError("--at \(at): not a time") }
        if at != nil, fromDb == nil { throw ValidationError("--at needs --from-db") }
        guard interval >= 0, (sources.timeout ?? 1) > 0 else { throw ValidationError("--interval and --timeout must be positive") }
    }

    func run() async throws {
        let snapshot: MeshSnapshot
        do {
            snapshot = try await take()
        } catch let error as UsageError {
            Console.write("meshtop snapshot: \(error.message)\n", to: .standardError)
            throw ExitCode(64)
        } catch let error as SourceError {
            Console.write("meshtop snapshot: \(error)\n", to: .standardError)
            throw ExitCode(3)
        }
        for status in snapshot.sources where !status.ok {
            Console.write("meshtop snapshot: \(status.error ?? "\(status.name) \(status.url) failed")\n", to: .standardError)
        }
        if section == "topology" {
            // The same drawing as the console's Topology tab (MeshUI), as plain text.
            Console.write(TopologyText.render(snapshot, ascii: ascii))
        } else {
            FileHandle.standardOutput.write(try render(SnapshotExport(snapshot)))
        }
        let readable = snapshot.sources.contains { $0.ok }
        guard readable else { throw ExitCode(3) }
        if check {
            let critical = snapshot.findings.filter { $0.severity == .critical }.count
            let warnings = snapshot.findings.filter { $0.severity == .warning }.count
            let code: Int32 = critical > 0 ? 2 : (failOn == "warning" && warnings > 0 ? 1 : 0)
            // One line for cron mail and CI logs; the findings themselves are in the output.
            Console.write("meshtop snapshot --check: \(critical) critical, \(warnings) warning → exit \(code)\n", to: .standardError)
            if code != 0 { throw ExitCode(code) }
        }
    }

    func take() async throws -> MeshSnapshot {
        let settings = try MeshtopConfig.load(path: config)
        if let fromDb { return try stored(fromDb, thresholds: settings.healthThresholds) }
        var deriver = SnapshotDeriver(thresholds: settings.healthThresholds)
        deriver.serviceThresholds = settings.serviceThresholds
        let feedSource: any FeedSource
        if let source {
            feedSource = DirectoryFeedSource(path: String(source.dropFirst("dir:".count)))
        } else {
            feedSource = PollerFeedSource(try await sources.makePoller(settings) { options in
                options.concurrency = concurrency
                options.bodyLimit = maxBody
            })
        }
        // The feed's first live poll is the baseline for rates; the next, `interval` after it
        // started, is the snapshot. A capture is complete in its first read.
        let feed = Feed(source: feedSource, deriver: deriver, interval: interval)
        defer { Task { await feed.shutdown() } }
        for await event in feed.events() {
            switch event {
            case let .snapshot(snapshot, baseline: false):
                await feed.shutdown()
                return snapshot
            case let .failed(error):
                await feed.shutdown()
                throw error
            case .snapshot, .recorded, .recordFailed, .recordsDropped:
                continue
            }
        }
        throw SourceError(source: "snapshot", reason: .other("the feed ended without a snapshot"))
    }

    /// The stored snapshot at `--at` (or the latest), as the store recorded it, with the store
    /// itself as its first source; a store without such a poll could not be read (exit 3).
    func stored(_ path: String, thresholds: HealthThresholds) throws -> MeshSnapshot {
        let reader: HistoryReader
        do { reader = try HistoryStore(path: path, readOnly: true).reader } catch {
            throw SourceError(source: "--from-db \(path)", reason: .unreadable("\(error)"))
        }
        let poll = try at.map { try reader.poll(atOrBefore: TimeSpec.instant($0)!) } ?? reader.latestPoll()
        guard let poll else {
            throw SourceError(source: "--from-db \(path)", reason: .unreadable(at.map { "no poll stored at or before \($0)" } ?? "no poll stored yet"))
        }
        var snapshot = try reader.snapshot(at: poll, thresholds: thresholds)
        // Only the events of that poll's own minute: the export is a snapshot, not the timeline.
        snapshot.events = snapshot.events.filter { poll.at.timeIntervalSince($0.at) < 60 }
        snapshot.sources.insert(SourceStatus(name: "history store", url: path, ok: true, lastSuccess: poll.at), at: 0)
        return snapshot
    }

    func render(_ export: SnapshotExport) throws -> Data {
        switch output {
        case "json":
            return Data(TerminalText.escapeJSON(String(decoding: try export.json(), as: UTF8.self)).utf8) + Data("\n".utf8)
        case "yaml":
            let encoder = YAMLEncoder()
            return Data(try encoder.encode(export).utf8)
        case "csv":
            return Data(SnapshotTables.csv(SnapshotTables.rows(export, section: SnapshotSection(rawValue: section!)!)).utf8)
        default:
            let sections = section.map { [SnapshotSection(rawValue: $0)!] }
                ?? [.services, .edges, .proxies, .certs, .routes, .findings] + (export.ztunnels == nil ? [] : [.ztunnels])
            let text = sections.map { section in
                "\(section.rawValue.uppercased())\n" + SnapshotTables.text(SnapshotTables.rows(export, section: section))
            }.joined(separator: "\n")
            return Data(text.utf8)
        }
    }
}

