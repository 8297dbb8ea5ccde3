import Foundation
import MeshModel
import Yams

extension AppState {
    /// Palette commands and their aliases.
    public static let commands: [(names: [String], help: String)] = [
        (["overview", "ov"], "Overview"), (["services", "svc"], "Services"), (["routes", "vs"], "Routes"),
        (["certs", "certificates"], "Certificates"), (["proxies", "po", "ps"], "Proxies"), (["events", "ev"], "Events"),
        (["ztunnel", "zt"], "Ztunnels: the ambient nodes' agents and their identities (z in Proxies)"),
        (["topo", "topology"], "Topology"), (["theme"], "theme NAME"), (["ns"], "ns NAME | all: one namespace (on a cluster, poll only its proxies)"),
        (["ctx", "context"], "ctx NAME: poll another kubeconfig context"),
        (["at"], "at TIME: travel to a stored time (14:02, 10m, 2026-11-26 14:02)"), (["live"], "back to live"),
        (["loglevel", "log"], "loglevel LEVEL: set the selected proxy's Envoy log level"),
        (["help"], "this help"), (["quit", "q"], "quit"),
    ]

    /// Keys valid in every view, for the help overlay.
    public static let keyHelp: [(String, String)] = [
        (":", "command palette: svc routes certs proxies events theme ns"), ("/", "filter (!x inverts, re:x regex)"),
        ("?", "this help"), ("Enter", "open the selected service or proxy"), ("Esc", "back / close"),
        ("Tab 1-7", "switch views"), ("↑↓ j k", "move"), ("PgUp PgDn g G", "page, top, bottom"),
        ("←→↑↓", "topology: pan the drawing; Enter focuses a service, Esc leaves"),
        ("s / S", "sort by the next column / reverse"), ("p", "pause updates"), ("r", "refresh now"),
        ("[ ]", "time travel: older / newer poll (] past the newest: live)"), ("t", "chart range 15 min / 1 h / 24 h (service detail)"),
        ("l", "proxy: set its log level (asks first)"), ("D / U", "proxy: drain (fail health check) / restore (asks first)"),
        ("X", "proxy: reset its counters (asks first)"), ("z", "proxies ⇄ ztunnels (ambient nodes)"),
        ("y", "raw JSON of the selection (y again: YAML)"), ("c", "copy the selection (OSC 52)"), ("w", "why this colour"), ("q", "quit"),
    ]

    /// The dashboard's keys: navigation and quit only.
    public static let dashboardKeyHelp: [(String, String)] = [
        ("Tab 1-7", "switch views (--rotate cycles them)"), ("↑↓ j k", "move"), ("PgUp PgDn g G", "page, top, bottom"),
        ("Enter", "open the selected service or proxy"), ("Esc", "back / close"), ("?", "this help"), ("q", "quit"),
        ("", "read-only: no operator actions, no filters, no time travel"),
    ]

    /// The keys that do something in `view` (Enter only where there is a drill-down, sorting and
    /// raw JSON only on tables).
    public static func keyHelp(for view: ViewID, detail: Bool) -> [(String, String)] {
        keyHelp.filter { key, _ in
            switch key {
            case "Enter": return (view == .services || view == .proxies || view == .topology) && !detail
            case "←→↑↓": return view == .topology
            case "t": return view == .services && detail
            case "l", "D / U", "X": return view == .proxies
            case "s / S", "↑↓ j k", "PgUp PgDn g G", "/": return view != .overview && !detail
            case "y", "c", "w": return [.services, .proxies, .certificates, .routes].contains(view) && !detail
            default: return true
            }
        }
    }

    /// Keys the dashboard accepts: navigation and quit (everything else is ignored, so a wall
    /// display cannot be paused, filtered, sent to the past or asked to act).
    static func isNavigation(_ key: Key) -> Bool {
        switch key {
        case .tab, .backTab, .up, .down, .pageUp, .pageDown, .home, .end, .enter, .escape, .click: true
        case .control("c"), .control("f"), .control("b"): true
        case let .character(character): "qjkgG?".contains(character) || character.isNumber
        default: false
        }
    }

    mutating func handle(_ key: Key) -> [Effect] {
        if dashboard, !Self.isNavigation(key) {
            if [.character("D"), .character("U"), .character("X"), .character("l")].contains(key) {
                showToast("read-only dashboard: operator actions are disabled", seconds: 4)
            }
            return []
        }
        if let input { return handleInput(key, mode: input) }
        if overlay != nil { return handleOverlay(key) }
        if view == .topology, detail == nil, let effects = handleTopology(key) { return effects }
        switch key {
        case .character("q"), .control("c"): return [.quit]
        case .character("?"): overlay = .help
        case .character(":"): input = .palette("")
        case .character("/"): input = .filter(filter)
        case .tab: switchView(by: 1)
        case .backTab: switchView(by: -1)
        case let .character(digit) where digit.isNumber:
            if let number = Int(String(digit)), number >= 1, number <= ViewID.tabs.count { select(ViewID.tabs[number - 1]) }
        case .down, .character("j"): move(by: 1)
        case .up, .character("k"): move(by: -1)
        case .pageDown, .control("f"): move(by: visibleRows)
        case .pageUp, .control("b"): move(by: -visibleRows)
        case .home, .character("g"): move(by: -Int.max / 2)
        case .end, .character("G"): move(by: Int.max / 2)
        case .character("s"): cycleSort()
        case .character("S"):
            var table = self.table(view)
            table.reversed.toggle()
            tables[view] = table
        case .character("p"):
            paused.toggle()
            showToast(paused ? "paused — p resumes" : "resumed")
            return [.pause(paused)]
        case .character("r"):
            showToast("refreshing…", seconds: 1)
            return [.refresh]
        case .enter:
            openDetail()
            if let detail, detail.view == .services { return [.loadCharts(service: detail.key, range: chartRange)] }
        case .character("["):
            guard historyAvailable else {
                showToast("no history store (start with --db PATH)")
                return []
            }
            return [.travel(.back)]
        case .character("]"):
            guard travel != nil else {
                showToast("already live")
                return []
            }
            return [.travel(.forward)]
        case .character("l"):
            guard selectedProxyForAction() != nil else { return [] }
            input = .palette("loglevel ")
        case .character("D"):
            return askAction(.failHealthCheck)
        case .character("U"):
            return askAction(.restoreHealthCheck)
        case .character("X"):
            return askAction(.resetCounters)
        case .character("z") where detail == nil && (view == .proxies || view == .ztunnels):
            // Proxies ⇄ their ambient nodes' ztunnels.
            select(view == .proxies ? .ztunnels : .proxies)
        case .character("t"):
            guard let detail, detail.view == .services else { return [] }
            chartRange = chartRange.next
            showToast("charts: \(chartRange.rawValue)", seconds: 1.5)
            return [.loadCharts(service: detail.key, range: chartRange)]
        case .escape:
            if detail != nil {
                detail = nil
                charts = nil
            } else if !filter.isEmpty {
                filter = ""
                clampSelections()
            }
        case .character("y"):
            if let (title, text) = selectionJSON() { overlay = .raw(title: title, text: text, offset: 0) }
        case .character("c"):
            if let (_, text) = selectionJSON() {
                showToast("copied \(text.count) bytes (OSC 52)")
                return [.copy(text)]
            }
        case .character("w"):
            if let (title, reason) = selectionReason() { overlay = .why(title: title, text: reason) }
        case let .click(x, y):
            return handleClick(x: x, y: y)
        default:
            break
        }
        return []
    }

    mutating func select(_ next: ViewID) {
        view = next
        detail = nil
        clampSelections()
    }

    mutating func switchView(by delta: Int) {
        let all = ViewID.tabs
        let index = all.firstIndex(of: view.tab) ?? 0
        select(all[(index + delta + all.count) % all.count])
    }

    mutating func cycleSort() {
        let columns = ViewModels.columns(view)
        guard !columns.isEmpty else { return }
        var table = self.table(view)
        table.sortColumn = ((table.sortColumn ?? -1) + 1) % columns.count
        table.reversed = false
        tables[view] = table
        showToast("sorted by \(columns[table.sortColumn!].title)", seconds: 1.5)
    }

    var selectedRow: TableRow? {
        let rows = ViewModels.rows(self, view)
        let index = table(view).selected
        return index < rows.count ? rows[index] : nil
    }

    mutating func openDetail() {
        guard let row = selectedRow else { return }
        if view == .events, let event = timeline.first(where: { ViewModels.eventKey($0) == row.key }) {
            // An event's whole text: a table row cuts a long cause off.
            overlay = .raw(title: "event", text: Self.eventText(event, width: max(20, width - 8)), offset: 0)
            return
        }
        guard view == .services || view == .proxies || view == .ztunnels else { return }
        detail = (view, row.key)
    }

    static func eventText(_ event: MeshEvent, width: Int) -> String {
        var lines = ["\(ViewModels.dateFormatter.string(from: event.at)):\(ViewModels.timeFormatter.string(from: event.at).suffix(2)) UTC · "
                     + "\(event.severity.rawValue.uppercased()) · \(event.kind.rawValue)", event.subject, ""]
        lines += FailureText.wrap(event.message, width: width)
        if let diff = event.diff, !diff.isEmpty { lines += [""] + diff.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        return lines.joined(separator: "\n")
    }

    mutating func handleInput(_ key: Key, mode: InputMode) -> [Effect] {
        var text: String
        switch mode {
        case let .filter(value), let .palette(value): text = value
        }
        switch key {
        case .escape:
            input = nil
            return []
        case .enter:
            input = nil
            if case .filter = mode {
                filter = text
                clampSelections()
                return []
            }
            return runCommand(text)
        case .backspace:
            if !text.isEmpty { text.removeLast() }
        case .tab:
            if case .palette = mode { text = complete(text) }
        case let .character(character):
            text.append(character)
        default:
            return []
        }
        if case .filter = mode {
            input = .filter(text)
            filter = text // filter as you type
            clampSelections()
        } else {
            input = .palette(text)
        }
        return []
    }

    /// Completes the palette's first word from the command names.
    public func complete(_ text: String) -> String {
        guard !text.contains(" ") else {
            if text.hasPrefix("theme ") {
                let prefix = String(text.dropFirst(6))
                if let match = availableThemes.first(where: { $0.hasPrefix(prefix) }) { return "theme " + match }
            }
            return text
        }
        let names = Self.commands.flatMap(\.names).filter { $0.hasPrefix(text) }
        guard let first = names.first else { return text }
        var common = first
        for name in names.dropFirst() { while !name.hasPrefix(common) { common.removeLast() } }
        return names.count == 1 ? first + (["theme", "ns", "at", "ctx"].contains(first) ? " " : "") : common
    }

    mutating func handleOverlay(_ key: Key) -> [Effect] {
        if case let .confirm(action)? = overlay {
            overlay = nil
            if key == .character("y") || key == .character("Y") { return [.confirmed(action)] }
            showToast("cancelled")
            return []
        }
        switch (key, overlay) {
        case let (.character("y"), .raw(title, text, _)?):
            // y again shows the same object as YAML (and back).
            overlay = .raw(title: title, text: Self.toggleFormat(text), offset: 0)
        case (.escape, _), (.character("q"), _), (.enter, _), (.character("?"), .help?):
            overlay = nil
        case (.down, let .raw(title, text, offset)?), (.character("j"), let .raw(title, text, offset)?):
            overlay = .raw(title: title, text: text, offset: offset + 1)
        case (.up, let .raw(title, text, offset)?), (.character("k"), let .raw(title, text, offset)?):
            overlay = .raw(title: title, text: text, offset: max(0, offset - 1))
        case (.pageDown, let .raw(title, text, offset)?):
            overlay = .raw(title: title, text: text, offset: offset + visibleRows)
        case (.pageUp, let .raw(title, text, offset)?):
            overlay = .raw(title: title, text: text, offset: max(0, offset - visibleRows))
        default:
            break
        }
        return []
    }

    mutating func handleClick(x: Int, y: Int) -> [Effect] {
        if y == 0 {
            // Tabs: " 1 Overview  2 Services …" — find which label was clicked.
            var column = 1
            for (candidate, label) in zip(ViewID.tabs, ViewID.tabLabels(width: width)) {
                if x >= column, x < column + label.count { select(candidate); return [] }
                column += label.count + 1
            }
        } else if y >= 2, view != .overview, detail == nil {
            let index = table(view).offset + (y - 2)
            let count = ViewModels.rows(self, view).count
            if index < count {
                var table = self.table(view)
                table.selected = index
                tables[view] = table
            }
        }
        return []
    }

    /// JSON ↔ YAML for the raw overlay (JSON is YAML, so Yams reads either).
    static func toggleFormat(_ text: String) -> String {
        guard let value = try? Yams.load(yaml: text) else { return text }
        if text.hasPrefix("{") || text.hasPrefix("[") {
            return (try? Yams.dump(object: value, sortKeys: true)) ?? text
        }
        guard JSONSerialization.isValidJSONObject(value),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else { return text }
        return String(decoding: data, as: UTF8.self)
    }

    /// The selected object as pretty JSON, for `y` and `c`.
    func selectionJSON() -> (String, String)? {
        guard let snapshot, let row = selectedRow else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        func encode<T: Encodable>(_ value: T?) -> String? { value.flatMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) } }
        let text: String?
        switch view {
        case .services: text = encode(snapshot.services.first { "\($0.namespace)/\($0.name)" == row.key })
        case .proxies: text = encode(snapshot.proxies.first { $0.id == row.key })
        case .certificates: text = encode(snapshot.certificates.first { "\($0.kind.rawValue):\($0.id)" == row.key })
        case .routes: text = encode(snapshot.routes.first { row.key.hasPrefix("\($0.namespace)/\($0.virtualService)#\($0.index)/") })
        default: text = nil
        }
        return text.map { (row.key, $0) }
    }

    /// The rule behind the selected row's colour, for `w`.
    func selectionReason() -> (String, String)? {
        guard let snapshot, let row = selectedRow else { return nil }
        switch view {
        case .services:
            guard let service = snapshot.services.first(where: { "\($0.namespace)/\($0.name)" == row.key }) else { return nil }
            return (row.key, "\(service.health.health.rawValue.uppercased()): \(service.health.reason)\n\nRules: 5xx > 0 % Degraded, ≥ 10 % Failure; 4xx ≥ 10 % Degraded, ≥ 20 % Failure; no traffic Idle.")
        case .proxies:
            guard let proxy = snapshot.proxies.first(where: { $0.id == row.key }) else { return nil }
            return (row.key, "\(proxy.health.health.rawValue.uppercased()): \(proxy.health.reason)\n\nRules: a type STALE for more than 60 s, or ERROR → Degraded; missing from syncz → Unknown.")
        case .certificates:
            guard let certificate = snapshot.certificates.first(where: { "\($0.kind.rawValue):\($0.id)" == row.key }) else { return nil }
            return (row.key, "\(certificate.health.health.rawValue.uppercased()): \(certificate.health.reason)\n\nRules: expired → Critical; leaf below 20 % of lifetime or CA below 30 days → Warning; past the rotation point → Warning.")
        case .routes:
            return (row.key, row.cells.last.map { $0.isEmpty ? "no validation findings" : "findings: \($0)" } ?? "")
        default:
            return nil
        }
    }
}
