import Foundation
import MeshModel

/// The Topology tab: the layered drawing when it fits (up to three screens, panned with the
/// arrows), else an adjacency list; Enter focuses the selected service's 2-hop neighbourhood.
enum TopologyView {
    /// How much larger than the view a drawing may be before the adjacency list replaces it.
    static let panLimit = 3

    static func graph(_ state: AppState) -> TopologyGraph? {
        state.snapshot.map { TopologyGraph.make($0, filter: state.filter, focus: state.topologyFocus) }
    }

    /// The drawing's area for a state: the body below the tab bar and the view's header line.
    static func bodyArea(_ state: AppState) -> Rect { Rect(x: 0, y: 2, width: state.width, height: max(0, state.height - 3)) }

    static func fits(_ layout: TopologyLayout, area: Rect) -> Bool {
        layout.width <= area.width * panLimit && layout.height <= max(1, area.height - 1) * panLimit
    }

    static func render(_ state: AppState, area: Rect, _ buffer: inout CellBuffer) {
        guard let graph = graph(state) else {
            buffer.put(state.lastPollError.map { "No data yet: \($0)" } ?? "Waiting for the first poll…", x: 2, y: area.y + 1, role: .muted, clip: area)
            return
        }
        let (header, body) = area.splitTop(1)
        let selected = selectedService(state, graph)
        var title = "\(graph.nodes.count - graph.layout.isolated.count) services · \(graph.edges.count) edges"
        if !graph.layout.isolated.isEmpty { title += " · \(graph.layout.isolated.count) without traffic not drawn" }
        if let focus = state.topologyFocus { title = "focus \(focus) (2 hops, Esc leaves) · " + title }
        if !state.filter.isEmpty { title += " · filter /\(state.filter)" }
        guard fits(graph.layout, area: body) else {
            buffer.put(" " + title + " · too large to draw: callers → callees (Enter focuses)", x: header.x, y: header.y, role: .header, clip: header)
            adjacency(state, graph: graph, area: body, &buffer)
            return
        }
        title += " · \(state.glyphs == .ascii ? "*" : "◆") mTLS"
        if graph.edges.contains(where: { $0.traffic.rps == 0 && $0.traffic.l4 != nil }) { title += " · L4 = ztunnels only, bytes and conn/s" }
        title += " · j/k select · Enter focus · arrows pan"
        buffer.put(" " + title, x: header.x, y: header.y, role: .header, clip: header)
        if graph.layout.layers.isEmpty {
            buffer.put("no traffic between services yet", x: body.x + 2, y: body.y + 1, role: .muted, clip: body)
            return
        }
        let pan = state.topologyPan
        if graph.layout.width + 2 > body.width + pan.x || pan.x > 0 {
            let hint = pan.x > 0 ? "◀ " : ""
            let more = graph.layout.width + 2 > body.width + pan.x ? " →" : ""
            let text = " \(hint)pan\(more) "
            buffer.put(text, x: header.maxX - text.count, y: header.y, role: .accent, bold: true, clip: header)
        }
        TopologyDrawing.draw(graph, selected: selected, origin: (x: body.x + 1 - pan.x, y: body.y - pan.y), clip: body, glyphs: state.glyphs, &buffer)
    }

    /// The service j/k selected, in drawing order.
    static func selectedService(_ state: AppState, _ graph: TopologyGraph) -> String? {
        let order = graph.order
        guard !order.isEmpty else { return nil }
        return order[min(state.table(.topology).selected, order.count - 1)]
    }

    /// Callers and their callees with the edges' metrics, when the drawing does not fit.
    static func rows(_ state: AppState, _ graph: TopologyGraph) -> [TableRow] {
        var byCaller: [String: [Edge]] = [:]
        for edge in graph.edges { byCaller[edge.source, default: []].append(edge) }
        return graph.order.flatMap { caller -> [TableRow] in
            (byCaller[caller] ?? []).sorted { $0.destination < $1.destination }.enumerated().map { index, edge in
                let traffic = edge.traffic
                return TableRow(key: "\(caller)->\(edge.destination)",
                                cells: [index == 0 ? caller : "", "→ " + edge.destination, ViewModels.number(traffic.rps, 2),
                                        ViewModels.percent(traffic.serverErrorRate), ViewModels.number(traffic.latencyMs.p99), edge.mtls ? "yes" : "no"],
                                roles: [.title, Role.health(edge.health.health.rawValue), nil, nil, nil, edge.mtls ? .healthy : .warning])
            }
        }
    }

    static let columns = [TableColumn("CALLER", width: 24, flexible: true, priority: 9), TableColumn("CALLEE", width: 26, flexible: true, priority: 9),
                          TableColumn("RPS", width: 8, alignRight: true, priority: 8), TableColumn("5XX", width: 7, alignRight: true, priority: 7),
                          TableColumn("P99", width: 7, alignRight: true, priority: 6), TableColumn("MTLS", width: 4, priority: 5)]

    static func adjacency(_ state: AppState, graph: TopologyGraph, area: Rect, _ buffer: inout CellBuffer) {
        let table = state.table(.topology)
        let rows = rows(state, graph)
        TableWidget.render(columns: columns, rows: rows, selected: min(table.selected, max(0, rows.count - 1)),
                           offset: TableWidget.scroll(selected: table.selected, offset: table.offset, visibleRows: max(1, area.height - 1)),
                           sortColumn: nil, reversed: false, area: area, buffer: &buffer, glyphs: state.glyphs)
    }
}

/// The topology as plain text, for `meshtop snapshot -o text --section topology`: the same
/// drawing as the console at full size, or the adjacency list when it would be wider than
/// `maxWidth` columns.
public enum TopologyText {
    public static func render(_ snapshot: MeshSnapshot, ascii: Bool = false, maxWidth: Int = 240) -> String {
        let glyphs: Glyphs = ascii ? .ascii : .unicode
        let graph = TopologyGraph.make(snapshot)
        var header = "\(graph.nodes.count - graph.layout.isolated.count) services, \(graph.edges.count) edges (\(ascii ? "*" : "◆") mTLS"
            + (graph.edges.contains { $0.traffic.rps == 0 && $0.traffic.l4 != nil } ? "; L4 = ztunnels only, bytes and conn/s)" : ")")
        if !graph.layout.isolated.isEmpty { header += "; without traffic, not drawn: " + graph.layout.isolated.joined(separator: ", ") }
        var buffer: CellBuffer
        if graph.layout.width + 2 <= maxWidth {
            buffer = CellBuffer(width: graph.layout.width + 2, height: graph.layout.height)
            TopologyDrawing.draw(graph, selected: nil, origin: (x: 1, y: 0), clip: buffer.area, glyphs: glyphs, &buffer)
        } else {
            var state = AppState(width: 160, height: 24)
            state.glyphs = glyphs
            let rows = TopologyView.rows(state, graph)
            buffer = CellBuffer(width: 120, height: rows.count + 1)
            TableWidget.render(columns: TopologyView.columns, rows: rows, selected: nil, offset: 0, sortColumn: nil, reversed: false,
                               area: buffer.area, buffer: &buffer, glyphs: glyphs)
        }
        let lines = buffer.lines.map { line -> String in
            var line = line
            while line.last == " " { line.removeLast() }
            return line
        }
        return header + "\n" + lines.joined(separator: "\n") + "\n"
    }
}
