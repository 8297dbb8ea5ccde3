import Foundation
import MeshModel

/// The ztunnels of an ambient mesh (`:ztunnel`, `z` from Proxies): one row per node's agent —
/// workloads it carries, identities it holds and the first of their certificates to expire,
/// version, how reading it went — and, on Enter, the node's identities and workloads.
enum ZtunnelView {
    static let columns = [
        TableColumn("NODE", width: 14, flexible: true, priority: 9), TableColumn("ZTUNNEL", width: 18, flexible: true, priority: 4, cutMiddle: true),
        TableColumn("PODS", width: 5, alignRight: true, priority: 7), TableColumn("IDENTITIES", width: 10, alignRight: true, priority: 6),
        TableColumn("NOT READY", width: 9, alignRight: true, priority: 7), TableColumn("FIRST EXPIRY", width: 12, alignRight: true, priority: 9),
        TableColumn("WDS", width: 12, priority: 7),
        TableColumn("VERSION", width: 8, priority: 3), TableColumn("SCRAPE", width: 11, priority: 5), TableColumn("HEALTH", width: 8, priority: 9),
    ]

    static func rows(_ state: AppState, _ snapshot: MeshSnapshot) -> [TableRow] {
        let sources = Dictionary(snapshot.sources.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        return (snapshot.ztunnels ?? []).map { ztunnel in
            let notReady = ztunnel.identities.filter { $0.state != "Available" }.count
            let left = ztunnel.soonestExpiry.map { $0.timeIntervalSince(state.now) }
            let scrape = ViewModels.scrape(sources["proxy \(ztunnel.id)"], now: state.now)
            let health = Role.health(ztunnel.health.health.rawValue)
            let wds = workloadSync(ztunnel.workloadSync, now: state.now)
            return TableRow(
                key: ztunnel.id,
                // The pod's name: every ztunnel is in istio-system.
                cells: [ztunnel.node, String(ztunnel.id.split(separator: ".").first ?? ""), String(ztunnel.workloads), String(ztunnel.identities.count), notReady == 0 ? "-" : String(notReady),
                        left.map { $0 <= 0 ? "expired" : ViewModels.duration($0) } ?? "-", wds.text, ztunnel.version ?? "-", scrape.short,
                        ztunnel.health.health.rawValue.uppercased()],
                roles: [nil, .muted, nil, nil, notReady > 0 ? .warning : .muted, left.map { $0 <= 0 ? .failure : nil } ?? .muted, wds.role, .muted,
                        scrape.failing ? .failure : .muted, health],
                sortKeys: [.text(ztunnel.node), .text(ztunnel.id), .number(Double(ztunnel.workloads)), .number(Double(ztunnel.identities.count)),
                           .number(Double(notReady)), .number(left ?? .infinity), .text(wds.text), .text(ztunnel.version ?? ""), .text(scrape.short),
                           .number(Double(HealthOrder.rank(ztunnel.health.health)))])
        }
    }

    /// WDS as the Proxies view shows xDS: SYNCED, or STALE/ERROR with the age of the push.
    static func workloadSync(_ sync: SyncState?, now: Date) -> (text: String, role: Role?) {
        guard let sync else { return ("-", .muted) }
        switch sync.status {
        case .synced: return ("SYNCED", .healthy)
        case .stale, .staleNeverAcknowledged, .error:
            return ("\(sync.status == .error ? "ERROR" : "STALE") \(sync.sentAt.map { ViewModels.duration(now.timeIntervalSince($0)) } ?? "")", sync.status == .error ? .failure : .stale)
        default: return (sync.status.rawValue, .muted)
        }
    }

    /// A ztunnel's node: its health, then each identity (state, reason, time left), then the
    /// node's ambient workloads from the data-plane modes.
    static func detail(_ state: AppState, key: String, area: Rect, _ buffer: inout CellBuffer) {
        guard let ztunnel = state.snapshot?.ztunnels?.first(where: { $0.id == key }) else {
            buffer.put("ztunnel \(key) is gone (Esc returns)", x: area.x + 2, y: area.y + 1, role: .muted, clip: area)
            return
        }
        var y = area.y
        let title = "node \(ztunnel.node) · \(ztunnel.id)  "
        buffer.put(title, x: area.x + 1, y: y, role: .title, bold: true, clip: area)
        buffer.put(ztunnel.health.health.rawValue.uppercased() + " — " + ztunnel.health.reason, x: area.x + 1 + title.count, y: y,
                   role: Role.health(ztunnel.health.health.rawValue), clip: area)
        y += 1
        buffer.put("\(ztunnel.workloads) ambient pods · \(ztunnel.identities.count) identities · version \(ztunnel.version ?? "unknown")"
                   + (ztunnel.answered ? "" : " · did not answer this poll: what is shown is from its last good poll"),
                   x: area.x + 1, y: y, role: ztunnel.answered ? .muted : .warning, clip: area)
        y += 2
        let identityColumns = [TableColumn("IDENTITY", width: 30, flexible: true, priority: 9, cutMiddle: true), TableColumn("STATE", width: 12, priority: 8),
                               TableColumn("LEFT", width: 9, alignRight: true, priority: 9), TableColumn("REASON", width: 20, flexible: true, priority: 5)]
        let identityRows = ztunnel.identities.map { identity in
            let left = identity.notAfter.map { $0.timeIntervalSince(state.now) }
            return TableRow(key: identity.identity, cells: [identity.identity, identity.state, left.map { $0 <= 0 ? "expired" : ViewModels.duration($0) } ?? "-",
                                                            identity.reason ?? ""],
                            roles: [nil, identity.state == "Available" ? .healthy : (identity.state == "Unavailable" ? .failure : .warning),
                                    left.map { $0 <= 0 ? .failure : nil } ?? .muted, .muted])
        }
        let identityArea = Rect(x: area.x, y: y, width: area.width, height: min(identityRows.count + 1, max(2, area.maxY - y)))
        TableWidget.render(columns: identityColumns, rows: identityRows, selected: nil, offset: 0, sortColumn: nil, reversed: false,
                           area: identityArea, buffer: &buffer, glyphs: state.glyphs)
        y = identityArea.maxY + 1
        let ambient = (state.snapshot?.workloads ?? []).filter { $0.dataplaneMode == .ambient || $0.dataplaneMode == .ambientWaypoint }
        if y < area.maxY, !ambient.isEmpty {
            buffer.put("ambient workloads in the mesh: " + ambient.map(\.id).joined(separator: ", "), x: area.x + 1, y: y, role: .muted, clip: area)
        }
    }
}
