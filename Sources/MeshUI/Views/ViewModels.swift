import Foundation
import MeshModel

/// The rows each table view shows, computed from the state (pure, shared by rendering and key
/// handling so selection and what is drawn always agree).
public enum ViewModels {
    public static func columns(_ view: ViewID) -> [TableColumn] {
        switch view {
        case .services:
            [TableColumn("NAMESPACE", width: 10, flexible: true, priority: 3), TableColumn("SERVICE", width: 14, flexible: true, priority: 9),
             TableColumn("MESH", width: 11, priority: 5), TableColumn("MODE", width: 10, priority: 1), TableColumn("VERSIONS", width: 8, priority: 2), TableColumn("RPS", width: 8, alignRight: true, priority: 8),
             TableColumn("SUCCESS", width: 8, alignRight: true, priority: 7), TableColumn("P50", width: 6, alignRight: true, priority: 3),
             TableColumn("P95", width: 6, alignRight: true, priority: 4), TableColumn("P99", width: 7, alignRight: true, priority: 6),
             TableColumn("TREND", width: 10, priority: 4), TableColumn("HEALTH", width: 8, priority: 9)]
        case .routes:
            [TableColumn("NAMESPACE", width: 9, priority: 2), TableColumn("VIRTUALSERVICE", width: 14, flexible: true, priority: 9),
             TableColumn("MATCH", width: 10, flexible: true, priority: 3), TableColumn("DESTINATION", width: 16, flexible: true, priority: 9),
             TableColumn("WEIGHT", width: 16, priority: 8), TableColumn("OBSERVED", width: 8, alignRight: true, priority: 8),
             TableColumn("FINDINGS", width: 10, flexible: true, priority: 6)]
        case .certificates:
            [TableColumn("KIND", width: 12, priority: 9), TableColumn("IDENTITY", width: 20, flexible: true, priority: 8),
             TableColumn("SOURCE", width: 20, priority: 1, cutMiddle: true),
             TableColumn("SERIAL", width: 11, flexible: true, priority: 2, cutMiddle: true), TableColumn("NOT AFTER", width: 16, priority: 6),
             TableColumn("LEFT", width: 9, alignRight: true, priority: 9), TableColumn("USED", width: 5, alignRight: true, priority: 5),
             TableColumn("HEALTH", width: 8, priority: 9)]
        case .proxies:
            // At 80 columns: name, mesh, CDS, RDS, state and scrape (a draining proxy, a mixed mesh
            // and a failing scrape must show there); LDS and EDS join from about 100.
            [TableColumn("NAME", width: 20, flexible: true, priority: 9, cutMiddle: true), TableColumn("MESH", width: 12, priority: 6),
             TableColumn("CLUSTER", width: 10, priority: 2),
             TableColumn("CDS", width: 8, priority: 8), TableColumn("LDS", width: 8, priority: 5), TableColumn("EDS", width: 8, priority: 5),
             TableColumn("RDS", width: 8, priority: 8), TableColumn("ECDS", width: 8, priority: 4), TableColumn("ISTIOD", width: 8, priority: 1),
             TableColumn("VERSION", width: 7, priority: 3), TableColumn("STATE", width: 9, priority: 7), TableColumn("SCRAPE", width: 11, priority: 6)]
        case .events:
            [TableColumn("TIME", width: 8, priority: 9), TableColumn("SEVERITY", width: 8, priority: 8), TableColumn("KIND", width: 14, priority: 6),
             TableColumn("SUBJECT", width: 20, flexible: true, priority: 9), TableColumn("MESSAGE", width: 20, flexible: true, priority: 7)]
        case .ztunnels:
            ZtunnelView.columns
        case .overview, .topology:
            []
        }
    }

    /// Requests per second, or `L4` where only ztunnels measured the traffic (no requests).
    static func rpsCell(_ traffic: TrafficMetrics) -> String {
        traffic.rps == 0 && traffic.l4 != nil ? "L4" : number(traffic.rps, 2)
    }

    /// `L4 in 29.6 KB/s  out 124.8 KB/s  1.6 conn/s  mTLS 100%`.
    static func l4Summary(_ l4: L4Traffic) -> String {
        "L4 (ztunnels) in \(byteRate(l4.bytesInPerSecond))  out \(byteRate(l4.bytesOutPerSecond))  \(fixed(l4.connectionsPerSecond, 1)) conn/s  mTLS \(percent(l4.mtlsShare))"
    }

    static func byteRate(_ bytes: Double) -> String { ByteCount.text(bytes) + "/s" }

    /// A data-plane mode in a table cell (`-`: not known).
    static func modeLabel(_ mode: DataplaneMode?) -> String {
        switch mode {
        case .ambientWaypoint: "ambient+wp"
        case let mode?: mode.rawValue
        case nil: "-"
        }
    }

    /// Where a certificate was seen: on sidecars, or held by a ztunnel (its node) for an
    /// ambient identity; `shared` for the CA certificates every proxy presents.
    static func certificateSource(_ certificate: Certificate, ztunnelNodes: [String: String]) -> String {
        let onZtunnels = certificate.proxyIDs.compactMap { ztunnelNodes[$0] }
        if onZtunnels.isEmpty { return "sidecar" }
        if onZtunnels.count < certificate.proxyIDs.count { return "shared" }
        return onZtunnels.count == 1 ? "ztunnel " + onZtunnels[0] : "ztunnel ×\(onZtunnels.count)"
    }

    static func number(_ value: Double?, _ digits: Int = 1) -> String { value.map { fixed($0, digits) } ?? "-" }
    static func percent(_ value: Double?) -> String { value.map { fixed($0 * 100, 1) + "%" } ?? "-" }

    /// `%.Nf` without Foundation's formatter, which dominates table rendering on Linux.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded(.toNearestOrEven) // as printf rounds exact halves
        guard scaled < 9e15 else { return String(format: "%.\(digits)f", value) }
        let whole = Int64(scaled) / Int64(scale)
        var text = (value < 0 && scaled > 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let fraction = String(Int64(scaled) % Int64(scale))
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return text
    }

    public static func duration(_ seconds: TimeInterval) -> String {
        let value = Int(abs(seconds))
        if value < 120 { return "\(value)s" }
        if value < 7200 { return "\(value / 60)m" }
        if value < 3 * 86400 { return "\(value / 3600)h\(value % 3600 / 60)m" }
        return "\(value / 86400)d"
    }

    /// Rows of a view after the filter and the sort: built once per change of the snapshot,
    /// timeline, trends, filter, sort or second on the clock, then served from the state's cache
    /// (every key and frame asks for them, and a 5,000-proxy table takes milliseconds to build).
    public static func rows(_ state: AppState, _ view: ViewID) -> [TableRow] {
        if view == .topology { return topologyRows(state) }
        let table = state.table(view)
        // Ages (STALE 5s, FAIL 20s) and time left move with the clock; the other views' rows do not.
        let clocked = view == .proxies || view == .certificates
        let key = RowCache.Key(view: view, inputs: state.rowInputs, filter: state.filter, sortColumn: table.sortColumn, reversed: table.reversed,
                               second: clocked ? Int(state.now.timeIntervalSince1970.rounded(.down)) : 0)
        return state.rowCache.rows(key, build: { filteredRows(state, view) }, sort: { sortedRows($0, table) })
    }

    /// The view's rows that pass the filter, in snapshot order.
    static func filteredRows(_ state: AppState, _ view: ViewID) -> [TableRow] {
        let all = unsortedRows(state, view)
        var rows = state.filter.isEmpty ? all : all.filter { $0.matches(state.filter) }
        if view == .certificates, let root = all.first(where: { $0.key.hasPrefix("root:") }), !rows.contains(root) {
            rows.insert(root, at: 0) // the root's expiry is always visible
        }
        return rows
    }

    static func sortedRows(_ rows: [TableRow], _ table: TableState) -> [TableRow] {
        guard let column = table.sortColumn else { return rows }
        return rows.sorted { a, b in
            let left = column < a.sortKeys.count ? a.sortKeys[column] : .text(a.cells[column])
            let right = column < b.sortKeys.count ? b.sortKeys[column] : .text(b.cells[column])
            return table.reversed ? right < left : left < right
        }
    }

    static func unsortedRows(_ state: AppState, _ view: ViewID) -> [TableRow] {
        guard let snapshot = state.snapshot else { return [] }
        switch view {
        case .services:
            return snapshot.services.map { service in
                let key = "\(service.namespace)/\(service.name)"
                let health = Role.health(service.health.health.rawValue)
                let traffic = service.traffic
                return TableRow(
                    key: key,
                    cells: [service.namespace, service.name, service.origin?.label ?? "-", modeLabel(service.dataplaneMode),
                            service.versions.joined(separator: ","), rpsCell(traffic),
                            percent(traffic.successRate), number(traffic.latencyMs.p50), number(traffic.latencyMs.p95),
                            number(traffic.latencyMs.p99), Sparkline.text(state.trends[key] ?? [], width: 10, glyphs: state.glyphs),
                            service.health.health.rawValue.uppercased()],
                    roles: [.muted, nil, .muted, .muted, .muted, nil, (traffic.serverErrorRate ?? 0) > 0 ? health : nil, nil, nil, nil, .sparkline, health],
                    sortKeys: [.text(service.namespace), .text(service.name), .text(service.origin?.label ?? ""), .text(modeLabel(service.dataplaneMode)),
                               .text(service.versions.joined()), .number(traffic.rps),
                               .number(traffic.successRate ?? 2), .number(traffic.latencyMs.p50 ?? -1), .number(traffic.latencyMs.p95 ?? -1),
                               .number(traffic.latencyMs.p99 ?? -1), .number(traffic.rps), .number(Double(HealthOrder.rank(service.health.health)))])
            }
        case .routes:
            return snapshot.routes.flatMap { route in
                route.destinations.enumerated().map { index, destination in
                    let weight = destination.weight ?? (route.destinations.count == 1 ? 100 : 0)
                    let findings = route.findings.map(\.code).joined(separator: ",")
                    return TableRow(
                        key: "\(route.namespace)/\(route.virtualService)#\(route.index)/\(index)",
                        cells: [route.namespace, route.virtualService, route.matches.isEmpty ? "any" : route.matches.joined(separator: "; "),
                                destination.host + (destination.subset.map { " (\($0))" } ?? ""),
                                Bar.text(Double(weight) / 100, width: 10, glyphs: state.glyphs) + String(format: " %3d%%", weight),
                                percent(destination.observedShare), findings],
                        roles: [.muted, nil, .muted, nil, .barFill, nil, findings.isEmpty ? nil : .warning],
                        sortKeys: [.text(route.namespace), .text(route.virtualService), .text(route.matches.joined()), .text(destination.host),
                                   .number(Double(weight)), .number(destination.observedShare ?? -1), .text(findings)])
                }
            }
        case .certificates:
            let nodes = Dictionary((snapshot.ztunnels ?? []).map { ($0.id, $0.node) }, uniquingKeysWith: { a, _ in a })
            return snapshot.certificates.map { certificate in
                let left = certificate.timeLeft(at: state.now)
                let source = certificateSource(certificate, ztunnelNodes: nodes)
                let health = Role.health(certificate.health.health.rawValue)
                return TableRow(
                    key: "\(certificate.kind.rawValue):\(certificate.id)",
                    cells: [certificate.kind.rawValue, certificate.spiffeID ?? certificate.subject ?? (certificate.serial.isEmpty ? certificate.proxyIDs.first ?? "-" : "-"),
                            source, certificate.serial.isEmpty ? "-" : certificate.serial,
                            Self.dateMinute(certificate.notAfter), left <= 0 ? "expired" : duration(left),
                            certificate.startKnown ? fixed(certificate.lifetimeUsed(at: state.now) * 100, 0) + "%" : "-",
                            certificate.health.health.rawValue.uppercased()],
                    roles: [certificate.kind == .leaf ? nil : .accent, nil, .muted, .muted, nil, health, nil, health],
                    sortKeys: [.text(certificate.kind.rawValue), .text(certificate.spiffeID ?? ""), .text(source), .text(certificate.serial),
                               .number(certificate.notAfter.timeIntervalSince1970), .number(left), .number(certificate.lifetimeUsed(at: state.now)),
                               .number(Double(HealthOrder.rank(certificate.health.health)))])
            }
        case .proxies:
            let sources = ScrapeIndex(snapshot)
            return snapshot.proxies.map { proxy in
                let types: [XDSType] = [.cds, .lds, .eds, .rds, .ecds]
                let cells = types.map { type -> String in
                    guard let state_ = proxy.sync[type] else { return "-" }
                    switch state_.status {
                    case .stale, .staleNeverAcknowledged, .error:
                        return "\(state_.status == .error ? "ERROR" : "STALE") \(state_.sentAt.map { duration(state.now.timeIntervalSince($0)) } ?? "")"
                    case .notSent: return "NOT SENT"
                    default: return state_.status.rawValue
                    }
                }
                let roles: [Role?] = types.map { type in
                    switch proxy.sync[type]?.status {
                    case .stale?, .staleNeverAcknowledged?: .stale
                    case .error?: .failure
                    case .notSent?, .ignored?: .muted
                    case .synced?: .healthy
                    default: .muted
                    }
                }
                let version = proxy.istioVersion ?? proxy.proxyVersion ?? "-"
                let mesh = proxy.origin?.label ?? "-"
                let scrape = Self.scrape(sources.status(of: proxy), now: state.now)
                // Envoy's own word (LIVE, DRAINING, …); unknown while it does not answer.
                let serverState = proxy.serverState.map { $0.isEmpty ? "unknown" : $0 } ?? "unknown"
                let stateRole: Role = switch proxy.serverState {
                case "LIVE"?: .healthy
                case nil, ""?: .muted
                default: .warning
                }
                return TableRow(key: proxy.id,
                                cells: [proxy.id, mesh, proxy.clusterID] + cells + [proxy.istiod.map(Self.host) ?? "-", version, serverState, scrape.short],
                                roles: [Role.health(proxy.health.health.rawValue) == .healthy ? nil : Role.health(proxy.health.health.rawValue), .muted, .muted]
                                    + roles + [.muted, .muted, stateRole, scrape.failing ? .failure : .muted],
                                sortKeys: [.text(proxy.id), .text(mesh), .text(proxy.clusterID)] + cells.map { .text($0) }
                                    + [.text(proxy.istiod ?? ""), .text(version), .text(serverState), .text(scrape.short)])
            }
        case .ztunnels:
            return ZtunnelView.rows(state, snapshot)
        case .events:
            return state.timeline.reversed().map { event in
                let role: Role = event.severity == .critical ? .critical : (event.severity == .warning ? .warning : .text)
                return TableRow(key: eventKey(event),
                                cells: [Self.timeFormatter.string(from: event.at), event.severity.rawValue.uppercased(), event.kind.rawValue, event.subject, event.message],
                                roles: [.muted, role, nil, nil, nil],
                                sortKeys: [.number(event.at.timeIntervalSince1970), .text(event.severity.rawValue), .text(event.kind.rawValue), .text(event.subject), .text(event.message)])
            }
        case .overview, .topology:
            return []
        }
    }

    /// How reading a proxy's admin API went in the last poll: `ok`, or `failing` with the age of
    /// the data still shown (`short`, for the table) and the source's error (`long`, for the detail).
    static func scrape(_ proxy: Proxy, snapshot: MeshSnapshot, now: Date) -> (short: String, long: String, failing: Bool) {
        scrape(snapshot.sources.first { $0.name == ScrapeIndex.sourceName(proxy) }, now: now)
    }

    static func scrape(_ source: SourceStatus?, now: Date) -> (short: String, long: String, failing: Bool) {
        guard let source else { return ("-", "not read", false) }
        if source.ok { return ("ok", "ok" + (source.latencyMs.map { " (\(fixed($0, 0)) ms)" } ?? ""), false) }
        let age = source.lastSuccess.map { duration(now.timeIntervalSince($0)) }
        let data = age.map { "data \($0) old" } ?? "no data yet"
        return (age.map { "FAIL \($0)" } ?? "FAIL", "FAILING — \(source.error ?? "unknown error") — \(data)", true)
    }

    /// An event's row key in the Events view.
    static func eventKey(_ event: MeshEvent) -> String { "\(event.at.timeIntervalSince1970)/\(event.subject)" }

    /// The host of an istiod address (`http://10.0.0.5:15014` → `10.0.0.5`; a Kubernetes route
    /// `portforward://istio-system/istiod-…:15014` → the pod), on bytes: Foundation's URL
    /// parser and `range(of:)` cost more than the rest of a row.
    static func host(_ address: String) -> String {
        let bytes = Array(address.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon + 2 < bytes.count,
              bytes[colon + 1] == UInt8(ascii: "/"), bytes[colon + 2] == UInt8(ascii: "/") else { return address }
        var start = colon + 3
        let kubernetes = address.hasPrefix("portforward://") || address.hasPrefix("podproxy://")
        if kubernetes, let slash = bytes[start...].firstIndex(of: UInt8(ascii: "/")) { start = slash + 1 }
        let end = bytes[start...].firstIndex { $0 == UInt8(ascii: ":") || (!kubernetes && $0 == UInt8(ascii: "/")) } ?? bytes.count
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// Topology rows: its services in drawing order (what j/k select), or the adjacency list's
    /// rows when the drawing does not fit. The namespace filter is applied by the graph itself.
    static func topologyRows(_ state: AppState) -> [TableRow] {
        guard let graph = TopologyView.graph(state) else { return [] }
        guard TopologyView.fits(graph.layout, area: TopologyView.bodyArea(state)) else { return TopologyView.rows(state, graph) }
        return graph.order.map { TableRow(key: $0, cells: [$0]) }
    }

    /// `yyyy-MM-dd HH:mm` in UTC, as `dateFormatter` writes it, at a fraction of its cost
    /// (a certificate table formats thousands of them).
    static func dateMinute(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return dateFormatter.string(from: date) }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min))"
    }

    static let dateFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }()

    static let timeFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }()
}

/// Sort order for health columns: worst last.
enum HealthOrder {
    static func rank(_ health: Health) -> Int { Health.allCases.firstIndex(of: health) ?? 0 }
}
