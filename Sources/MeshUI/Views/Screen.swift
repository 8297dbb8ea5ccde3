import Foundation
import MeshModel

/// Draws the whole screen for a state: tabs, the current view, overlays, the status bar.
public enum Screen {
    public static func render(_ state: AppState) -> CellBuffer {
        var buffer = CellBuffer(width: state.width, height: state.height)
        render(state, into: &buffer)
        return buffer
    }

    public static func render(_ state: AppState, into buffer: inout CellBuffer) {
        if state.isTooSmall {
            tooSmall(state, &buffer)
            return
        }
        let (tabs, rest) = buffer.area.splitTop(1)
        let (body, status) = rest.splitBottom(1)
        drawTabs(state, area: tabs, &buffer)
        if WallView.applies(state) {
            WallView.render(state, area: body, &buffer)
        } else if let detail = state.detail {
            switch detail.view {
            case .services: DetailViews.service(state, key: detail.key, area: body, &buffer)
            case .ztunnels: ZtunnelView.detail(state, key: detail.key, area: body, &buffer)
            default: DetailViews.proxy(state, key: detail.key, area: body, &buffer)
            }
        } else if state.view == .overview {
            OverviewView.render(state, area: body, &buffer)
        } else if state.view == .topology {
            TopologyView.render(state, area: body, &buffer)
        } else if state.snapshot == nil {
            buffer.put(state.lastPollError.map { "No data yet: \($0)" } ?? "Waiting for the first poll…", x: 2, y: body.y + 1, role: .muted, clip: body)
        } else {
            let table = state.table(state.view)
            let rows = ViewModels.rows(state, state.view)
            TableWidget.render(columns: ViewModels.columns(state.view), rows: rows, selected: table.selected, offset: table.offset,
                               sortColumn: table.sortColumn, reversed: table.reversed, area: body, buffer: &buffer, glyphs: state.glyphs)
            if rows.isEmpty {
                let empty = state.view == .ztunnels && state.filter.isEmpty ? "no ztunnels: the mesh has no ambient part, or no ztunnel target is read (kind: ztunnel)"
                    : state.filter.isEmpty ? "nothing to show" : "no rows match /\(state.filter)"
                buffer.put(empty, x: 2, y: body.y + 2, role: .muted, clip: body)
            }
        }
        drawStatus(state, area: status, &buffer)
        if let toast = state.toast {
            let text = " \(toast.text) "
            buffer.put(text, x: max(0, body.maxX - text.count - 1), y: body.maxY - 1, role: .toast, bold: true)
        }
        if let overlay = state.overlay { Overlays.render(overlay, state: state, area: body, &buffer) }
    }

    static func tooSmall(_ state: AppState, _ buffer: inout CellBuffer) {
        let lines = ["terminal too small", "(have \(state.width)×\(state.height), need \(AppState.minimumWidth)×\(AppState.minimumHeight))", "q quits"]
        for (index, line) in lines.enumerated() {
            buffer.put(line, x: max(0, (state.width - line.count) / 2), y: max(0, state.height / 2 - 1) + index, role: index == 0 ? .warning : .muted, bold: index == 0)
        }
    }

    static func drawTabs(_ state: AppState, area: Rect, _ buffer: inout CellBuffer) {
        buffer.fill(area, role: .tabInactive)
        var x = area.x + 1
        for (view, label) in zip(ViewID.tabs, ViewID.tabLabels(width: area.width)) {
            let active = view == state.view.tab
            x = buffer.put(label, x: x, y: area.y, role: active ? .tabActive : .tabInactive, bold: active, clip: area) + 1
        }
        var brand = state.readOnly ? " READ-ONLY · meshtop " : " meshtop "
        if let travel = state.travel { brand = " HISTORY \(ViewModels.timeFormatter.string(from: travel.at)) ·\(brand)" }
        // The cluster it is looking at, as k9s shows its context: whole, or as much as fits.
        var candidates = [brand]
        if let access = state.snapshot?.access?.first {
            candidates = [" \(access.context)@\(access.cluster) ·" + brand, " \(access.context)@\(access.cluster) ", " \(access.context) ", brand]
        }
        if let fitting = candidates.first(where: { x + $0.count < area.maxX }) {
            let role: Role = state.travel != nil ? .warning : (state.readOnly ? .readOnly : .tabInactive)
            buffer.put(fitting, x: area.maxX - fitting.count, y: area.y, role: role, bold: true)
        }
    }

    static func drawStatus(_ state: AppState, area: Rect, _ buffer: inout CellBuffer) {
        buffer.fill(area, role: .statusBar)
        if let input = state.input {
            let text: String
            switch input {
            case let .filter(value): text = "/\(value)▏"
            case let .palette(value): text = ":\(value)▏  " + (value.isEmpty ? "svc routes certs proxies events theme ns ctx help quit" : state.complete(value))
            }
            buffer.put(text, x: area.x + 1, y: area.y, role: .filter, bold: true, clip: area)
            return
        }
        var parts: [String] = []
        // Always visible, also where the tab bar has no room for its marker.
        if state.readOnly { parts.append("READ-ONLY") }
        if let travel = state.travel {
            parts.append("HISTORY \(ViewModels.timeFormatter.string(from: travel.at)) (\(ViewModels.duration(state.now.timeIntervalSince(travel.at))) ago) · [ older  ] newer")
        } else {
            parts.append(state.paused ? "PAUSED" : "LIVE")
            if let age = state.dataAge { parts.append("data \(ViewModels.duration(age)) old") }
        }
        // The cluster's tier where there is room (the Overview's Access line always has it): the
        // failing-sources warning after it must not be pushed off an 80-column line.
        for access in state.snapshot?.access ?? [] where area.width >= 100 {
            let tier = access.tier.rawValue + (access.missing.isEmpty ? "" : " (\(access.missing.count) missing)")
            parts.append(area.width >= 120 ? "\(access.scope): \(tier)" : tier)
        }
        if let snapshot = state.snapshot {
            let failing = snapshot.sources.filter { !$0.ok }.count
            parts.append("sources \(snapshot.sources.count - failing)/\(snapshot.sources.count) ok")
        }
        if !state.filter.isEmpty { parts.append("filter /\(state.filter)") }
        let left = " " + parts.joined(separator: " · ")
        let end = buffer.put(left, x: area.x, y: area.y, role: .statusBar, clip: area)
        // The cause of a failure stays in view: when the words do not fit, the reason comes first.
        let room = area.width - 10 - end - 4
        if let error = state.lastPollError {
            buffer.put("  ⚠ " + FailureText.compact(error, width: room), x: end, y: area.y, role: .warning,
                       clip: Rect(x: area.x, y: area.y, width: area.width - 10, height: 1))
        } else if let snapshot = state.snapshot, let failing = snapshot.sources.first(where: { !$0.ok }) {
            // One format whatever the count: how many fail, then the first one's error.
            let count = snapshot.sources.filter { !$0.ok }.count
            let prefix = "  ⚠ \(count) failing · "
            buffer.put(prefix + FailureText.compact(failing.error ?? failing.name, width: room - prefix.count + 4), x: end, y: area.y, role: .warning,
                       clip: Rect(x: area.x, y: area.y, width: area.width - 10, height: 1))
        }
        buffer.put("? help ", x: area.maxX - 7, y: area.y, role: .statusBar, bold: true)
    }
}
