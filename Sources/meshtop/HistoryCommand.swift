import ArgumentParser
import Foundation
import MeshModel
import MeshPoller
import MeshStore

/// `meshtop history`: queries the local store from the command line.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Query the history store: services, edges, proxies, certs, events, config; diff two revisions.",
        subcommands: [Services.self, Edges.self, Proxies.self, Certs.self, Events.self, Config.self, Diff.self])

    /// Flags every query shares.
    struct Query: ParsableArguments {
        @OptionGroup var history: HistoryOptions
        @Option(help: "Configuration file (default: $XDG_CONFIG_HOME/meshtop/config.yaml).") var config: String?
        @Option(help: "From: a duration ago (1h, 15m), a clock time (14:02), a date and time, RFC 3339 or @unix (default 1h).") var since: String = "1h"
        @Option(help: "Until (same forms; default now).") var until: String = "now"
        @Option(name: .shortAndLong, help: "table, csv or json.") var output: String = "table"

        func validate() throws {
            guard ["table", "csv", "json"].contains(output) else { throw ValidationError("-o must be table, csv or json") }
            guard TimeSpec.instant(since) != nil else { throw ValidationError("--since \(since): not a time (e.g. 1h, 14:02, 2026-11-26T14:02:00Z)") }
            guard TimeSpec.instant(until) != nil else { throw ValidationError("--until \(until): not a time") }
        }

        var range: (Date, Date) { (TimeSpec.instant(since)!, TimeSpec.instant(until)!) }

        /// Opens the store read-only (a recorder may be writing it right now).
        func open() throws -> HistoryStore {
            let settings = try MeshtopConfig.load(path: config)
            let path = history.path(settings)
            do { return try HistoryStore(path: path, readOnly: path != ":memory:") } catch {
                FileHandle.printError("meshtop history: \(error)")
                throw ExitCode(3)
            }
        }

        func print(_ table: HistoryTable) {
            // JSON escapes control characters itself; tables and CSV are cleaned for the terminal.
            if output == "json" { FileHandle.standardOutput.write(Data(TerminalText.escapeJSON(table.render(output)).utf8)) } else { Console.write(table.render(output)) }
        }

        /// Services' or edges' metrics over the range, matching `filter`, at `resolution`.
        func metrics(kind: String, matching filter: String?, resolution: String?) throws {
            let (from, to) = range
            let points = try open().reader.allSeries(kind: kind, from: from, to: to,
                                                     resolution: try HistoryTable.resolution(resolution, from: from, to: to), matching: filter)
            print(HistoryTable.metrics(points, subject: kind))
        }
    }

    struct Services: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Service RED metrics over time.")
        @OptionGroup var query: Query
        @Option(help: "Only services whose namespace/name contains this.") var service: String?
        @Option(help: "raw (every poll) or 1m (rollups); default: raw for ranges up to 1h within raw retention, else 1m.") var resolution: String?

        func run() throws { try query.metrics(kind: "service", matching: service, resolution: resolution) }
    }

    struct Edges: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Edge (caller → callee) RED metrics over time.")
        @OptionGroup var query: Query
        @Option(help: "Only edges whose source or destination contains this.") var service: String?
        @Option(help: "raw or 1m (default as for services).") var resolution: String?

        func run() throws { try query.metrics(kind: "edge", matching: service, resolution: resolution) }
    }

    struct Proxies: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Proxy xDS sync states over time (one row per state interval).")
        @OptionGroup var query: Query
        @Option(help: "Only proxies whose id contains this.") var proxy: String?

        func run() throws {
            let (from, to) = query.range
            let intervals = try query.open().reader.proxyIntervals(from: from, to: to).filter { proxy == nil || $0.value.id.contains(proxy!) }
            query.print(HistoryTable.proxies(intervals))
        }
    }

    struct Certs: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Certificates seen over time, with when they were first and last seen.")
        @OptionGroup var query: Query

        func run() throws {
            let (from, to) = query.range
            query.print(HistoryTable.certificates(try query.open().reader.certificateIntervals(from: from, to: to), now: to))
        }
    }

    struct Events: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The event timeline.")
        @OptionGroup var query: Query
        @Option(help: "Only events whose subject contains this.") var service: String?
        @Option(help: "Only events of this kind: health, sync, certificate, config, source, action.") var kind: String?
        @Flag(help: "Print config diffs under their events (table output; CSV and JSON always carry them).") var diff = false

        func run() throws {
            let (from, to) = query.range
            let events = try query.open().reader.events(from: from, to: to)
                .filter { (service == nil || $0.subject.contains(service!)) && (kind == nil || $0.kind.rawValue == kind) }
            query.print(HistoryTable.events(events, withDiffs: diff || query.output != "table"))
        }
    }

    struct Config: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Configuration revisions, each change with its unified diff.")
        @OptionGroup var query: Query
        @Option(help: "Only this kind (VirtualService, DestinationRule, ProxyRoutes, ProxyClusters, or vs/dr).") var kind: String?
        @Flag(help: "Leave the diffs out.") var noDiff = false

        func run() throws {
            let (from, to) = query.range
            let reader = try query.open().reader
            let revisions = try reader.configRevisions(from: from, to: to, kind: kind.map(ConfigKinds.canonical))
            let diffs = try revisions.map { revision -> String in
                let old = try revision.previousHash.flatMap(reader.configText) ?? ""
                let new = try revision.hash.flatMap(reader.configText) ?? ""
                let name = "\(revision.kind)/\(revision.namespace)/\(revision.name)"
                return UnifiedDiff.make(old: old, new: new, oldLabel: revision.previousHash.map { "\(name)@\($0.prefix(12))" } ?? "/dev/null",
                                        newLabel: revision.hash.map { "\(name)@\($0.prefix(12))" } ?? "/dev/null")
            }
            // First sightings (a recorder starting) are not changes worth a diff of the whole object.
            let shown = zip(revisions, diffs).map { $0.previousHash == nil && $0.hash != nil ? "" : $1 }
            query.print(HistoryTable.configs(revisions, diffs: shown, withDiffs: !noDiff))
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Unified diff of one object between two instants: KIND/NAMESPACE/NAME --at T1 --at T2 (T2 defaults to now).")
        @Argument(help: "KIND/NAMESPACE/NAME, e.g. VirtualService/default/reviews or vs/default/reviews.") var object: String
        @Option(help: "Two instants (repeat the flag); the second defaults to now.") var at: [String] = []
        @OptionGroup var history: HistoryOptions
        @Option(help: "Configuration file.") var config: String?

        func validate() throws {
            guard object.split(separator: "/").count == 3 else { throw ValidationError("\(object): expected KIND/NAMESPACE/NAME") }
            guard (1...2).contains(at.count) else { throw ValidationError("give --at T1 [--at T2]") }
            for value in at where TimeSpec.instant(value) == nil { throw ValidationError("--at \(value): not a time") }
        }

        func run() throws {
            let parts = object.split(separator: "/").map(String.init)
            let settings = try MeshtopConfig.load(path: config)
            let path = history.path(settings)
            let reader: HistoryReader
            do { reader = try HistoryStore(path: path, readOnly: path != ":memory:").reader } catch {
                FileHandle.printError("meshtop history: \(error)")
                throw ExitCode(3)
            }
            let kind = ConfigKinds.canonical(parts[0])
            let first = TimeSpec.instant(at[0])!, second = at.count > 1 ? TimeSpec.instant(at[1])! : Date()
            let old = try reader.config(kind: kind, namespace: parts[1], name: parts[2], at: first)
            let new = try reader.config(kind: kind, namespace: parts[1], name: parts[2], at: second)
            guard old != nil || new != nil else {
                FileHandle.printError("meshtop history diff: no revision of \(kind)/\(parts[1])/\(parts[2]) at either time in \(path)")
                throw ExitCode(3)
            }
            let label = { (date: Date, hash: String?) in "\(kind)/\(parts[1])/\(parts[2])@\(ISO8601DateFormatter().string(from: date))" + (hash.map { " (\($0.prefix(12)))" } ?? "") }
            let diff = UnifiedDiff.make(old: old?.text ?? "", new: new?.text ?? "", oldLabel: label(first, old?.hash), newLabel: label(second, new?.hash))
            Console.write(diff.isEmpty ? "no change between the two instants (\(old?.hash.prefix(12) ?? ""))\n" : diff)
        }
    }
}

/// Short names operators use for config kinds (`vs`, `dr`, `routes`, …).
enum ConfigKinds {
    static func canonical(_ kind: String) -> String {
        switch kind.lowercased() {
        case "vs", "virtualservice", "virtualservices": "VirtualService"
        case "dr", "destinationrule", "destinationrules": "DestinationRule"
        case "gw", "gateway", "gateways": "Gateway"
        case "se", "serviceentry", "serviceentries": "ServiceEntry"
        case "routes", "proxyroutes", "proxy-routes": ConfigDocument.proxyRoutes
        case "clusters", "proxyclusters", "proxy-clusters": ConfigDocument.proxyClusters
        default: kind
        }
    }
}
