import ArgumentParser
import Foundation
import MeshModel
import MeshPoller
import MeshStore

/// Rows for `meshtop history`, printed as an aligned table, CSV or JSON (numbers stay numbers).
struct HistoryTable {
    enum Value {
        case text(String)
        case number(Double?, decimals: Int)

        var display: String {
            switch self {
            case let .text(text): text
            case let .number(value, decimals): value.map { Self.format($0, decimals) } ?? "-"
            }
        }

        static func format(_ value: Double, _ decimals: Int) -> String {
            let scale = pow(10, Double(decimals))
            let rounded = (value * scale).rounded() / scale
            return decimals == 0 ? String(Int(rounded)) : String(format: "%.\(decimals)f", rounded)
        }

        var json: Any {
            switch self {
            case let .text(text): text
            case let .number(value, _): value.map { $0 as Any } ?? NSNull()
            }
        }
    }

    var header: [String]
    var rows: [[Value]]
    /// Multi-line text per row (a diff): printed indented under the row in tables, as the
    /// `details` column in CSV and JSON.
    var details: [String]? = nil

    func render(_ format: String) -> String {
        switch format {
        case "csv":
            let withDetails = details.map { details in zip(rows, details).map { $0 + [.text($1)] } } ?? rows
            return SnapshotTables.csv([header + (details == nil ? [] : ["diff"])]
                + withDetails.map { $0.map { if case .number(nil, _) = $0 { "" } else { $0.display } } })
        case "json":
            let keys = header.map(Self.jsonKey) + (details == nil ? [] : ["diff"])
            let withDetails = details.map { details in zip(rows, details).map { $0 + [.text($1)] } } ?? rows
            let objects = withDetails.map { row in Dictionary(uniqueKeysWithValues: zip(keys, row.map(\.json))) }
            let data = (try? JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])) ?? Data("[]".utf8)
            return String(decoding: data, as: UTF8.self) + "\n"
        default:
            if rows.isEmpty { return "no rows in this range\n" }
            let lines = SnapshotTables.text([header.map { $0.uppercased() }] + rows.map { $0.map(\.display) }).split(separator: "\n", omittingEmptySubsequences: false)
            guard let details else { return lines.joined(separator: "\n") }
            var out = String(lines[0]) + "\n"
            for (index, line) in lines.dropFirst().enumerated() where index < rows.count {
                out += line + "\n"
                if !details[index].isEmpty {
                    out += details[index].split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
                    if !out.hasSuffix("\n") { out += "\n" }
                }
            }
            return out
        }
    }

    /// `p99 ms` → `p99Ms`: JSON keys in the snapshot schema's lowerCamelCase.
    static func jsonKey(_ column: String) -> String {
        let words = column.replacingOccurrences(of: "%", with: "pct").split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        return words.enumerated().map { $0 == 0 ? $1.lowercased() : $1.prefix(1).uppercased() + $1.dropFirst().lowercased() }.joined()
    }

    nonisolated(unsafe) static let iso = ISO8601DateFormatter()  // used from the one command thread

    static func time(_ date: Date) -> Value { .text(iso.string(from: date)) }

    static func resolution(_ flag: String?, from: Date, to: Date) throws -> Resolution {
        if let flag {
            guard let resolution = Resolution(rawValue: flag) else { throw ValidationError("--resolution must be raw or 1m") }
            return resolution
        }
        return to.timeIntervalSince(from) <= 3600 && Date().timeIntervalSince(from) < Retention().raw ? .raw : .minute
    }

    static func metrics(_ points: [MetricPoint], subject: String) -> HistoryTable {
        HistoryTable(header: ["time", subject, "rps", "success %", "5xx %", "4xx %", "p50 ms", "p95 ms", "p99 ms", "health", "samples"],
                     rows: points.map { point in
                         let traffic = point.traffic
                         return [time(point.at), .text(point.subject), .number(traffic.rps, decimals: 2),
                                 .number(traffic.successRate.map { $0 * 100 }, decimals: 2), .number(traffic.serverErrorRate.map { $0 * 100 }, decimals: 2),
                                 .number(traffic.clientErrorRate.map { $0 * 100 }, decimals: 2), .number(traffic.latencyMs.p50, decimals: 1),
                                 .number(traffic.latencyMs.p95, decimals: 1), .number(traffic.latencyMs.p99, decimals: 1),
                                 .text(point.health.health.rawValue), .number(Double(point.samples), decimals: 0)]
                     })
    }

    static func proxies(_ intervals: [HistoryReader.Interval<Proxy>]) -> HistoryTable {
        HistoryTable(header: ["from", "until", "proxy", "cluster"] + XDSType.allCases.map(\.rawValue) + ["istiod", "version"],
                     rows: intervals.map { interval in
                         let proxy = interval.value
                         return [time(interval.from), .text(interval.until.map { iso.string(from: $0) } ?? "current"), .text(proxy.id), .text(proxy.clusterID)]
                             + XDSType.allCases.map { .text(proxy.sync[$0]?.status.rawValue ?? "-") }
                             + [.text(proxy.istiod ?? "-"), .text(proxy.istioVersion ?? "-")]
                     })
    }

    static func certificates(_ intervals: [HistoryReader.Interval<Certificate>], now: Date) -> HistoryTable {
        // One row per certificate: first and last seen over its intervals.
        var order: [String] = []
        var bySerial: [String: (first: Date, last: Date?, certificate: Certificate)] = [:]
        for interval in intervals {
            let serial = interval.value.serial
            if let seen = bySerial[serial] {
                bySerial[serial] = (min(seen.first, interval.from), seen.last == nil || interval.until == nil ? nil : max(seen.last!, interval.until!), interval.value)
            } else {
                order.append(serial)
                bySerial[serial] = (interval.from, interval.until, interval.value)
            }
        }
        return HistoryTable(header: ["first seen", "last seen", "kind", "serial", "spiffe id", "not after", "proxies"],
                            rows: order.map { serial in
                                let seen = bySerial[serial]!
                                return [time(seen.first), .text(seen.last.map { iso.string(from: $0) } ?? "current"), .text(seen.certificate.kind.rawValue),
                                        .text(serial), .text(seen.certificate.spiffeID ?? "-"), time(seen.certificate.notAfter),
                                        .number(Double(seen.certificate.proxyIDs.count), decimals: 0)]
                            })
    }

    static func events(_ events: [MeshEvent], withDiffs: Bool) -> HistoryTable {
        HistoryTable(header: ["time", "severity", "kind", "subject", "message"],
                     rows: events.map { [time($0.at), .text($0.severity.rawValue), .text($0.kind.rawValue), .text($0.subject), .text($0.message)] },
                     details: withDiffs ? events.map { $0.diff ?? "" } : nil)
    }

    static func configs(_ revisions: [HistoryReader.ConfigRevision], diffs: [String], withDiffs: Bool) -> HistoryTable {
        HistoryTable(header: ["time", "change", "kind", "namespace", "name", "hash"], rows: revisions.map { revision in
            let change = revision.hash == nil ? "removed" : (revision.previousHash == nil ? "added" : "changed")
            return [time(revision.at), .text(change), .text(revision.kind), .text(revision.namespace), .text(revision.name),
                    .text(revision.hash.map { String($0.prefix(12)) } ?? "-")]
        }, details: withDiffs ? diffs : nil)
    }
}
