import Foundation
import MeshModel

/// The mesh at a glance: summary, worst services, recent events.
enum OverviewView {
    static func render(_ state: AppState, area: Rect, _ buffer: inout CellBuffer) {
        guard let snapshot = state.snapshot else {
            buffer.put(state.lastPollError.map { "No data yet: \($0)" } ?? "Waiting for the first poll…", x: area.x + 2, y: area.y + 1, role: .muted, clip: area)
            return
        }
        let wide = area.width >= 140
        let (summaryArea, lower) = area.splitTop(8)
        buffer.box(summaryArea, title: "Mesh", glyphs: state.glyphs)
        let inner = summaryArea.inner
        let total = snapshot.services.reduce(0.0) { $0 + $1.traffic.rps }
        let errors = snapshot.services.reduce(0.0) { $0 + $1.traffic.rps * ($1.traffic.serverErrorRate ?? 0) }
        let counts = snapshot.syncCounts
        let unreported = snapshot.proxies.filter { $0.sync.isEmpty }.count
        let syncText = (SyncStatus.allCases.compactMap { status in counts[status].map { "\(status.rawValue) \($0)" } }
            + (unreported > 0 ? ["unknown \(unreported)"] : [])).joined(separator: "  ")
        var lines: [(String, String, Role)] = [
            ("Services", "\(snapshot.services.count)   Workloads \(snapshot.workloads.count)   Proxies \(snapshot.proxies.count)", .text),
            ("Traffic", String(format: "%.1f rps   success %@", total, total > 0 ? String(format: "%.2f%%", (1 - errors / total) * 100) : "-"), .text),
            ("xDS sync", syncText.isEmpty ? "-" : syncText, counts.keys.contains { $0.severityRank >= 3 } ? .stale : counts.isEmpty ? .muted : .healthy),
        ]
        if let soonest = snapshot.soonestExpiring {
            let left = soonest.timeLeft(at: state.now)
            lines.append(("Certificates", "\(snapshot.certificates.count), soonest expiry \(left <= 0 ? "EXPIRED" : "in " + ViewModels.duration(left)) (\(soonest.kind.rawValue) \(soonest.spiffeID ?? soonest.label))",
                          Role.health(soonest.health.health.rawValue)))
        }
        for access in snapshot.access ?? [] {
            let more = access.missing.count > 1 ? " (+\(access.missing.count - 1) more: `y` shows all)" : ""
            let text = "\(access.scope) (\(access.cluster)): \(access.tier.rawValue)" + (access.missing.first.map { " — \($0)\(more)" } ?? ", nothing missing")
            lines.append(("Access", text, access.missing.isEmpty ? .healthy : .warning))
        }
        let critical = snapshot.findings.filter { $0.severity == .critical }.count, warnings = snapshot.findings.filter { $0.severity == .warning }.count
        lines.append(("Findings", "\(critical) critical   \(warnings) warning", critical > 0 ? .critical : (warnings > 0 ? .warning : .healthy)))
        for (index, line) in lines.enumerated() where index < inner.height {
            buffer.put(line.0, x: inner.x + 1, y: inner.y + index, role: .header, bold: true, clip: inner)
            buffer.put(line.1, x: inner.x + 15, y: inner.y + index, role: line.2, clip: inner)
        }

        let (worstArea, eventsArea) = wide ? lower.splitLeft(lower.width / 2) : lower.splitTop(lower.height / 2 + 1)
        buffer.box(worstArea, title: "Worst services", glyphs: state.glyphs)
        let worst = snapshot.services.filter { $0.health.health >= .degraded }
            .sorted { ($0.health.health, $0.traffic.serverErrorRate ?? 0) > ($1.health.health, $1.traffic.serverErrorRate ?? 0) }
        let list = worstArea.inner
        if worst.isEmpty { buffer.put("all services healthy or idle", x: list.x + 1, y: list.y, role: .healthy, clip: list) }
        for (index, service) in worst.prefix(list.height).enumerated() {
            let role = Role.health(service.health.health.rawValue)
            let x = buffer.put(service.health.health.rawValue.uppercased().padding(toLength: 9, withPad: " ", startingAt: 0), x: list.x + 1, y: list.y + index, role: role, bold: true, clip: list)
            buffer.put("\(service.namespace)/\(service.name)  \(service.health.reason)", x: x, y: list.y + index, clip: list)
        }
        buffer.box(eventsArea, title: "Recent events", glyphs: state.glyphs)
        let eventsList = eventsArea.inner
        if state.timeline.isEmpty { buffer.put("no events yet", x: eventsList.x + 1, y: eventsList.y, role: .muted, clip: eventsList) }
        for (index, event) in state.timeline.suffix(eventsList.height).reversed().enumerated() {
            let role: Role = event.severity == .critical ? .critical : (event.severity == .warning ? .warning : .muted)
            let x = buffer.put(ViewModels.timeFormatter.string(from: event.at) + " ", x: eventsList.x + 1, y: eventsList.y + index, role: .muted, clip: eventsList)
            buffer.put("\(event.subject): \(event.message)", x: x, y: eventsList.y + index, role: role, clip: eventsList)
        }
    }
}
