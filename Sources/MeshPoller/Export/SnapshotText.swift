import Foundation
import MeshModel

/// Aligned text tables (like istioctl's) and CSV, one section at a time.
public enum SnapshotSection: String, CaseIterable, Sendable {
    case services, edges, proxies, certs, routes, findings, sources, ztunnels
}

public enum SnapshotTables {
    /// Rows of a section: a header and string cells.
    public static func rows(_ export: SnapshotExport, section: SnapshotSection) -> [[String]] {
        let number = { (value: Double?, digits: Int) in value.map { String(format: "%.\(digits)f", $0) } ?? "-" }
        let percent = { (value: Double?) in value.map { String(format: "%.2f%%", $0 * 100) } ?? "-" }
        let time = { (date: Date) in ISO8601DateFormatter().string(from: date) }
        // Bytes per second both ways and connections per second, as ztunnels measured them.
        let l4 = { (row: SnapshotExport.L4Row) in "\(ByteCount.text(row.bytesInPerSecond + row.bytesOutPerSecond))/s \(String(format: "%.1f", row.connectionsPerSecond)) conn/s" }
        switch section {
        case .services:
            return [["NAMESPACE", "SERVICE", "MESH", "DATA", "MODE", "VERSIONS", "RPS", "SUCCESS", "P50", "P95", "P99", "L4", "HEALTH", "REASON"]]
                + export.services.map { [$0.namespace, $0.name, $0.mesh ?? "-", $0.dataSource ?? "-", $0.dataplaneMode ?? "-", $0.versions.joined(separator: ","),
                                         number($0.rps, 2), percent($0.successRate), number($0.latencyMs.p50, 1), number($0.latencyMs.p95, 1),
                                         number($0.latencyMs.p99, 1), $0.l4.map(l4) ?? "-", $0.health.uppercased(), $0.healthReason] }
        case .edges:
            return [["SOURCE", "DESTINATION", "MESH", "DATA", "RPS", "SUCCESS", "P99", "L4", "MTLS", "HEALTH"]]
                + export.edges.map { [$0.source, $0.destination, $0.mesh ?? "-", $0.dataSource ?? "-", number($0.rps, 2), percent($0.successRate),
                                      number($0.latencyMs.p99, 1), $0.l4.map(l4) ?? "-", $0.mtls ? "yes" : "no", $0.health.uppercased()] }
        case .proxies:
            let types = ["CDS", "LDS", "EDS", "RDS", "ECDS"]
            return [["NAME", "MESH", "DATA", "CLUSTER"] + types + ["ISTIOD", "VERSION", "STATE"]]
                + export.proxies.map { proxy in
                    [proxy.id, proxy.mesh ?? "-", proxy.dataSource ?? "-", proxy.cluster] + types.map { type in
                        guard let cell = proxy.sync[type] else { return "-" }
                        guard cell.state.hasPrefix("STALE") || cell.state == "ERROR", let age = cell.ageSeconds else { return cell.state }
                        return "\(cell.state) (\(Durations.text(age)))"
                    } + [proxy.istiod ?? "-", proxy.version ?? proxy.envoyVersion ?? "-", proxy.state ?? "-"]
                }
        case .certs:
            return [["KIND", "SERIAL", "SPIFFE ID", "NOT BEFORE", "NOT AFTER", "TIME LEFT", "USED", "HEALTH", "REASON"]]
                + export.certs.map { [$0.kind, $0.serial ?? "-", $0.spiffeId ?? "-", $0.notBefore.map(time) ?? "-", time($0.notAfter),
                                      $0.timeLeftSeconds < 0 ? "expired" : Durations.text($0.timeLeftSeconds),
                                      $0.lifetimeUsed.map { String(format: "%.0f%%", $0 * 100) } ?? "-", $0.health.uppercased(), $0.healthReason] }
        case .routes:
            var rows: [[String]] = [["NAMESPACE", "VIRTUALSERVICE", "ROUTE", "MATCH", "DESTINATION", "WEIGHT", "OBSERVED", "TIMEOUT", "RETRIES", "FINDINGS"]]
            for route in export.routes {
                let label: String = route.name ?? String(route.index)
                let matches: String = route.matches.joined(separator: "; ")
                let retries: String = route.retries.map { String($0.attempts) } ?? "-"
                let findings: String = route.findings.map(\.code).joined(separator: ",")
                for destination in route.destinations {
                    let target: String = destination.host + (destination.subset.map { " (\($0))" } ?? "")
                    let weight: String = destination.weight.map(String.init) ?? "-"
                    rows.append([route.namespace, route.virtualService, label, matches, target, weight,
                                 percent(destination.observedShare), route.timeout ?? "-", retries, findings])
                }
            }
            return rows
        case .findings:
            return [["SEVERITY", "CODE", "SUBJECT", "MESSAGE"]] + export.findings.map { [$0.severity.uppercased(), $0.code, $0.subject, $0.message] }
        case .ztunnels:
            return [["NODE", "ZTUNNEL", "PODS", "IDENTITIES", "NOT READY", "FIRST EXPIRY", "WDS", "VERSION", "HEALTH", "REASON"]]
                + (export.ztunnels ?? []).map { ztunnel in
                    [ztunnel.node, ztunnel.id, String(ztunnel.workloads), String(ztunnel.identities.count),
                     String(ztunnel.identities.filter { $0.state != "Available" }.count), ztunnel.soonestExpiry.map(time) ?? "-", ztunnel.wds ?? "-",
                     ztunnel.version ?? "-", ztunnel.health.uppercased(), ztunnel.healthReason]
                }
        case .sources:
            return [["NAME", "URL", "OK", "LATENCY", "ERROR"]]
                + export.sources.map { [$0.name, $0.url, $0.ok ? "yes" : "no", number($0.latencyMs, 1), $0.error ?? ""] }
        }
    }

    /// Columns padded to the widest cell, separated by three spaces, as istioctl prints.
    public static func text(_ rows: [[String]]) -> String {
        let rows = rows.map { $0.map(TerminalText.clean) }
        guard let header = rows.first else { return "" }
        var widths = header.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 3, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }

    /// RFC 4180 CSV, with terminal control characters removed (CSV gets `cat`ed too).
    public static func csv(_ rows: [[String]]) -> String {
        rows.map { $0.map(TerminalText.cleanLines) }.map { row in
            row.map { cell in
                cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
            }.joined(separator: ",")
        }.joined(separator: "\n") + "\n"
    }
}
