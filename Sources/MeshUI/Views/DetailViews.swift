import Foundation
import MeshModel

/// Drill-downs: a service (edges, workloads, routes, certificates, trend) and a proxy (sync, state, certificates).
enum DetailViews {
    static func service(_ state: AppState, key: String, area: Rect, _ buffer: inout CellBuffer) {
        guard let snapshot = state.snapshot, let service = snapshot.services.first(where: { "\($0.namespace)/\($0.name)" == key }) else {
            buffer.put("service \(key) is gone (Esc returns)", x: area.x + 2, y: area.y + 1, role: .muted, clip: area)
            return
        }
        let traffic = service.traffic
        var y = area.y
        buffer.put("\(key)  ", x: area.x + 1, y: y, role: .title, bold: true, clip: area)
        buffer.put(service.health.health.rawValue.uppercased() + " — " + service.health.reason, x: area.x + key.count + 4, y: y,
                   role: Role.health(service.health.health.rawValue), clip: area)
        y += 1
        buffer.put(String(format: "RPS %.2f   success %@   p50 %@  p95 %@  p99 %@ ms   versions %@", traffic.rps,
                          ViewModels.percent(traffic.successRate), ViewModels.number(traffic.latencyMs.p50), ViewModels.number(traffic.latencyMs.p95),
                          ViewModels.number(traffic.latencyMs.p99), service.versions.joined(separator: ",")), x: area.x + 1, y: y, clip: area)
        y += 1
        if let mode = service.dataplaneMode {
            var line = "data plane \(mode.rawValue)"
            if let l4 = traffic.l4 { line += "   " + ViewModels.l4Summary(l4) }
            buffer.put(line, x: area.x + 1, y: y, role: .muted, clip: area)
            y += 1
        }
        y = charts(state, key: key, area: Rect(x: area.x, y: y, width: area.width, height: 3), &buffer) + 1
        let edgeColumns = [TableColumn("DIRECTION", width: 9), TableColumn("PEER", width: 24, flexible: true), TableColumn("RPS", width: 8, alignRight: true),
                           TableColumn("SUCCESS", width: 8, alignRight: true), TableColumn("P99", width: 7, alignRight: true), TableColumn("MTLS", width: 4)]
        let edges = snapshot.edges.filter { $0.destination == key || $0.source == key }
        let edgeRows = edges.map { edge in
            let inbound = edge.destination == key
            return TableRow(key: edge.id, cells: [inbound ? "inbound" : "outbound", inbound ? edge.source : edge.destination,
                                                  ViewModels.rpsCell(edge.traffic), ViewModels.percent(edge.traffic.successRate),
                                                  ViewModels.number(edge.traffic.latencyMs.p99), edge.mtls ? "yes" : "no"],
                            roles: [.muted, nil, nil, Role.health(edge.health.health.rawValue), nil, edge.mtls ? .healthy : .warning])
        }
        let edgeArea = Rect(x: area.x, y: y, width: area.width, height: min(edgeRows.count + 1, max(2, (area.maxY - y) / 2)))
        TableWidget.render(columns: edgeColumns, rows: edgeRows, selected: nil, offset: 0, sortColumn: nil, reversed: false, area: edgeArea, buffer: &buffer, glyphs: state.glyphs)
        y = edgeArea.maxY + 1
        let routes = snapshot.routes.filter { route in route.destinations.contains { $0.host == service.name || $0.host == service.hostname } }
        for route in routes where y < area.maxY - 2 {
            let destinations = route.destinations.map { "\($0.subset ?? $0.host) \($0.weight.map { "\($0)%" } ?? "") obs \(ViewModels.percent($0.observedShare))" }
            buffer.put("route \(route.virtualService)#\(route.index): " + destinations.joined(separator: "  "), x: area.x + 1, y: y,
                       role: route.findings.isEmpty ? .text : .warning, clip: area)
            y += 1
        }
        let workloads = snapshot.workloads.filter { $0.namespace == service.namespace && $0.app == service.name }
        if y < area.maxY - 1, !workloads.isEmpty {
            buffer.put("workloads: " + workloads.map { "\($0.name) (\($0.proxyIDs.count) pods)" }.joined(separator: ", "), x: area.x + 1, y: y, role: .muted, clip: area)
            y += 1
        }
        let workloadProxies = Set(workloads.flatMap(\.proxyIDs))
        let certificates = snapshot.certificates.filter { certificate in
            certificate.kind == .leaf && certificate.proxyIDs.contains { workloadProxies.contains($0) }
        }
        if y < area.maxY, let soonest = certificates.first {
            buffer.put("certificates: \(certificates.count), soonest expiry in \(ViewModels.duration(soonest.timeLeft(at: state.now)))", x: area.x + 1, y: y,
                       role: Role.health(soonest.health.health.rawValue), clip: area)
        }
    }

    /// RPS, error share and p99 of the service over the chart range (`t` cycles 15 min / 1 h /
    /// 24 h), from the history store; returns the next free row.
    static func charts(_ state: AppState, key: String, area: Rect, _ buffer: inout CellBuffer) -> Int {
        let width = max(10, min(120, area.width - 40))
        guard let charts = state.charts, charts.service == key else {
            let text = state.historyAvailable ? "history charts: loading…" : "history charts need a store (--db)"
            buffer.put(text, x: area.x + 1, y: area.y, role: .muted, clip: area)
            return area.y + 1
        }
        let errors = charts.success.map { $0.map { (1 - $0) * 100 } }
        let lines: [(String, [Double], String)] = [
            ("RPS", charts.rps, "max " + ViewModels.number(charts.rps.max(), 2)),
            ("errors %", errors.compactMap { $0 }, "max " + ViewModels.number(errors.compactMap { $0 }.max(), 2) + " %"),
            ("p99 ms", charts.p99.compactMap { $0 }, "max " + ViewModels.number(charts.p99.compactMap { $0 }.max())),
        ]
        for (index, line) in lines.enumerated() where area.y + index < area.maxY {
            let y = area.y + index
            buffer.put(line.0, x: area.x + 1, y: y, role: .muted, clip: area)
            buffer.put(Sparkline.text(bucketed(line.1, width: width), width: width, glyphs: state.glyphs), x: area.x + 10, y: y, role: .sparkline, clip: area)
            buffer.put(line.2, x: area.x + 11 + width, y: y, clip: area)
            if index == 0 { buffer.put("· last \(charts.range.rawValue) (t)", x: area.x + 13 + width + line.2.count, y: y, role: .muted, clip: area) }
        }
        return area.y + lines.count
    }

    /// Averages `values` into at most `width` buckets, oldest first.
    static func bucketed(_ values: [Double], width: Int) -> [Double] {
        guard values.count > width, width > 0 else { return values }
        return (0..<width).map { bucket in
            let low = bucket * values.count / width, high = max(low + 1, (bucket + 1) * values.count / width)
            return values[low..<high].reduce(0, +) / Double(high - low)
        }
    }

    static func proxy(_ state: AppState, key: String, area: Rect, _ buffer: inout CellBuffer) {
        guard let snapshot = state.snapshot, let proxy = snapshot.proxies.first(where: { $0.id == key }) else {
            buffer.put("proxy \(key) is gone (Esc returns)", x: area.x + 2, y: area.y + 1, role: .muted, clip: area)
            return
        }
        var y = area.y
        buffer.put(key, x: area.x + 1, y: y, role: .title, bold: true, clip: area)
        y += 1
        buffer.put(proxy.health.health.rawValue.uppercased() + " — " + proxy.health.reason, x: area.x + 1, y: y, role: Role.health(proxy.health.health.rawValue), clip: area)
        y += 1
        let scrape = ViewModels.scrape(proxy, snapshot: snapshot, now: state.now)
        buffer.put("scrape", x: area.x + 1, y: y, role: .header, clip: area)
        buffer.put(scrape.long, x: area.x + 10, y: y, role: scrape.failing ? .failure : .muted, clip: area)
        y += 2
        let facts = [("type", proxy.type.rawValue), ("cluster", proxy.clusterID), ("istio", proxy.istioVersion ?? "-"), ("envoy", proxy.proxyVersion ?? "-"),
                     ("state", proxy.serverState.flatMap { $0.isEmpty ? nil : $0 } ?? (scrape.failing ? "unknown (not answering)" : "unknown")),
                     ("uptime", proxy.uptimeSeconds.map { ViewModels.duration($0) } ?? "-"),
                     ("istiod", proxy.istiod ?? "-"), ("admin", proxy.adminURL ?? "-")] + (proxy.note.map { [("note", $0)] } ?? [])
        for (label, value) in facts where y < area.maxY {
            buffer.put(label, x: area.x + 1, y: y, role: .header, clip: area)
            buffer.put(value, x: area.x + 10, y: y, clip: area)
            y += 1
        }
        y += 1
        for type in XDSType.allCases where y < area.maxY {
            guard let sync = proxy.sync[type] else { continue }
            let age = sync.sentAt.map { " (sent \(ViewModels.duration(state.now.timeIntervalSince($0))) ago)" } ?? ""
            buffer.put(type.rawValue, x: area.x + 1, y: y, role: .header, clip: area)
            let role: Role = sync.status == .synced ? .healthy : (sync.status == .error ? .failure : (sync.status == .notSent ? .muted : .stale))
            buffer.put(sync.status.rawValue + age + (sync.lastError.map { ": \($0)" } ?? ""), x: area.x + 10, y: y, role: role, clip: area)
            y += 1
        }
        y += 1
        for certificate in snapshot.certificates where certificate.proxyIDs.contains(key) && y < area.maxY {
            buffer.put("\(certificate.kind.rawValue) \(certificate.label) \(certificate.spiffeID ?? "") expires in \(ViewModels.duration(certificate.timeLeft(at: state.now)))",
                       x: area.x + 1, y: y, role: Role.health(certificate.health.health.rawValue), clip: area)
            y += 1
        }
        // Its clusters and their endpoints' health, as far as the screen goes.
        if let clusters = proxy.clusters, y + 1 < area.maxY {
            y += 1
            buffer.put("clusters (\(clusters.count))", x: area.x + 1, y: y, role: .header, clip: area)
            y += 1
            for cluster in clusters where y < area.maxY {
                let role: Role = cluster.endpoints == 0 ? .muted : (cluster.healthy < cluster.endpoints ? .warning : .healthy)
                buffer.put("\(cluster.healthy)/\(cluster.endpoints)", x: area.x + 1, y: y, role: role, clip: area)
                buffer.put(cluster.name, x: area.x + 10, y: y, clip: area)
                y += 1
            }
        }
    }
}
