import Foundation
import MeshModel

/// Draws a laid-out graph into a cell buffer: service boxes (name in its health colour, RPS and
/// error share), edges as box-drawing lines routed through a channel per edge in each gap,
/// labelled with rps / error % / p99 and an mTLS marker, arrowheads at the callee.
enum TopologyDrawing {
    /// Direction bits of a line cell; the glyph is chosen from the combination.
    struct Lines {
        static let up: UInt8 = 1, down: UInt8 = 2, left: UInt8 = 4, right: UInt8 = 8
        var cells: [Int: UInt8] = [:]
        let width: Int

        mutating func add(_ x: Int, _ y: Int, _ bits: UInt8) {
            guard x >= 0, y >= 0 else { return }
            cells[y * width + x, default: 0] |= bits
        }

        mutating func horizontal(_ y: Int, from: Int, to: Int) {
            guard from != to else { return }
            let (a, b) = (min(from, to), max(from, to))
            for x in a...b { add(x, y, (x > a ? Self.left : 0) | (x < b ? Self.right : 0)) }
        }

        mutating func vertical(_ x: Int, from: Int, to: Int) {
            guard from != to else { return }
            let (a, b) = (min(from, to), max(from, to))
            for y in a...b { add(x, y, (y > a ? Self.up : 0) | (y < b ? Self.down : 0)) }
        }

        static func glyph(_ bits: UInt8, ascii: Bool) -> Character {
            if ascii {
                switch bits {
                case left | right, left, right: return "-"
                case up | down, up, down: return "|"
                default: return "+"
                }
            }
            switch bits {
            case left | right, left, right: return "─"
            case up | down, up, down: return "│"
            case down | right: return "┌"
            case down | left: return "┐"
            case up | right: return "└"
            case up | left: return "┘"
            case up | down | right: return "├"
            case up | down | left: return "┤"
            case left | right | down: return "┬"
            case left | right | up: return "┴"
            default: return "┼"
            }
        }
    }

    static func label(_ edge: Edge, ascii: Bool) -> String {
        let traffic = edge.traffic
        let errors = (traffic.serverErrorRate ?? 0) * 100
        let p99 = traffic.latencyMs.p99.map { ViewModels.number($0, $0 < 10 ? 1 : 0) + "ms" } ?? "-"
        let marker = edge.mtls ? (ascii ? "*" : "◆") : " "
        // Only ztunnels saw it: bytes and connections, no requests to count.
        if traffic.rps == 0, let l4 = traffic.l4 {
            return "\(marker)L4 \(ViewModels.byteRate(l4.bytesInPerSecond + l4.bytesOutPerSecond).replacingOccurrences(of: " ", with: "")) \(ViewModels.fixed(l4.connectionsPerSecond, 1))c/s"
        }
        return "\(marker)\(ViewModels.number(traffic.rps, traffic.rps < 100 ? 1 : 0))rps \(ViewModels.number(errors, 1))% \(p99)"
    }

    /// Draws `graph` with its top-left cell at `origin` (which may be negative when panned),
    /// clipped to `clip`.
    static func draw(_ graph: TopologyGraph, selected: String?, origin: (x: Int, y: Int), clip: Rect, glyphs: Glyphs, _ buffer: inout CellBuffer) {
        let layout = graph.layout
        let ascii = glyphs == .ascii
        var lines = Lines(width: layout.width + 2)
        var edgesByPair: [String: Edge] = [:]
        for edge in graph.edges { edgesByPair["\(edge.source)\u{1}\(edge.destination)"] = edge }

        // Port rows: each edge leaves (and enters) a box on its own row, in the order of the
        // slots at the other end, so lines do not overlap at the box.
        var outRow: [String: Int] = [:], inRow: [String: Int] = [:]
        func slot(_ point: (layer: Int, index: Int)) -> TopologyLayout.Slot { layout.layers[point.layer][point.index] }
        var leaving: [String: [(Int, String)]] = [:], arriving: [String: [(Int, String)]] = [:]
        for (number, route) in layout.routes.enumerated() {
            let first = route.path[0], second = route.path[1], last = route.path[route.path.count - 1], before = route.path[route.path.count - 2]
            leaving[slot(first).key, default: []].append((slot(second).y, "\(number)"))
            arriving[slot(last).key, default: []].append((slot(before).y, "\(number)"))
        }
        for (key, ports) in leaving {
            for (rank, port) in ports.sorted(by: { $0 < $1 }).enumerated() { outRow["\(key)#\(port.1)"] = rank }
        }
        for (key, ports) in arriving {
            for (rank, port) in ports.sorted(by: { $0 < $1 }).enumerated() { inRow["\(key)#\(port.1)"] = rank }
        }
        func row(_ point: (layer: Int, index: Int), route: Int, outgoing: Bool) -> Int {
            let target = slot(point)
            if target.isPlaceholder { return target.y }
            let rank = (outgoing ? outRow : inRow)["\(target.key)#\(route)"] ?? 0
            return target.y + 1 + min(rank, target.height - 3)
        }

        // Channels: each edge gets its own vertical column in every gap it crosses.
        var channelUse: [Int: Int] = [:]
        var labels: [(x: Int, y: Int, text: String, role: Role)] = []
        var arrows: [(x: Int, y: Int, glyph: Character)] = []
        for (number, route) in layout.routes.enumerated() {
            for step in 0..<(route.path.count - 1) {
                let from = route.path[step], to = route.path[step + 1]
                let y1 = row(from, route: number, outgoing: true), y2 = row(to, route: number, outgoing: false)
                let gapStart = layout.x(ofLayer: from.layer) + layout.boxWidth
                let gapEnd = layout.x(ofLayer: to.layer) - 1
                let channel = gapStart + TopologyLayout.labelWidth + 1 + (channelUse[from.layer, default: 0] % max(1, layout.gapWidth - TopologyLayout.labelWidth - 2))
                channelUse[from.layer, default: 0] += 1
                lines.horizontal(y1, from: gapStart, to: channel)
                lines.vertical(channel, from: y1, to: y2)
                lines.horizontal(y2, from: channel, to: gapEnd)
                if slot(to).isPlaceholder { lines.horizontal(y2, from: gapEnd, to: gapEnd + layout.boxWidth + 1) }
                if step == 0, let edge = edgesByPair["\(route.source)\u{1}\(route.destination)"] {
                    labels.append((gapStart + 1, y1, String(label(edge, ascii: ascii).prefix(TopologyLayout.labelWidth - 1)), Role.health(edge.health.health.rawValue)))
                }
            }
            // The arrowhead points at the callee (at the left end for an edge reversed to break a cycle).
            let end = route.path[route.path.count - 1]
            if slot(end).key == route.destination {
                arrows.append((layout.x(ofLayer: end.layer) - 1, row(end, route: number, outgoing: false), ascii ? ">" : "▶"))
            } else {
                let start = route.path[0]
                arrows.append((layout.x(ofLayer: start.layer) + layout.boxWidth, row(start, route: number, outgoing: true), ascii ? "<" : "◀"))
            }
        }
        for (index, bits) in lines.cells {
            let x = index % lines.width, y = index / lines.width
            put(String(Lines.glyph(bits, ascii: ascii)), x: x, y: y, origin: origin, clip: clip, role: .border, &buffer)
        }
        for label in labels { put(label.text, x: label.x, y: label.y, origin: origin, clip: clip, role: label.role, &buffer) }
        for arrow in arrows { put(String(arrow.glyph), x: arrow.x, y: arrow.y, origin: origin, clip: clip, role: .border, &buffer) }

        // Boxes last, over anything. A service without inbound metrics (an ingress) shows what it sends.
        var sending: [String: Double] = [:]
        for edge in graph.edges { sending[edge.source, default: 0] += edge.traffic.rps }
        for (layerIndex, layer) in layout.layers.enumerated() {
            for slot in layer where !slot.isPlaceholder {
                let rect = Rect(x: origin.x + layout.x(ofLayer: layerIndex), y: origin.y + slot.y, width: layout.boxWidth, height: slot.height)
                guard rect.maxX > clip.x, rect.x < clip.maxX, rect.maxY > clip.y, rect.y < clip.maxY else { continue }
                drawBox(slot.key, service: graph.services[slot.key], sending: sending[slot.key] ?? 0, rect: rect, selected: slot.key == selected,
                        clip: clip, glyphs: glyphs, &buffer)
            }
        }
    }

    static func drawBox(_ key: String, service: Service?, sending: Double, rect: Rect, selected: Bool, clip: Rect, glyphs: Glyphs,
                        _ buffer: inout CellBuffer) {
        let inner = rect.inner
        for y in inner.y..<inner.maxY where y >= clip.y && y < clip.maxY {
            for x in inner.x..<inner.maxX where x >= clip.x && x < clip.maxX { buffer.put(" ", x: x, y: y, role: .text, clip: clip) }
        }
        let health = service?.health.health ?? .unknown
        let role = selected ? Role.selection : Role.health(health.rawValue)
        boxOutline(rect, role: selected ? .selection : .border, clip: clip, glyphs: glyphs, &buffer)
        let name = key.split(separator: "/").last.map(String.init) ?? key
        buffer.put(TableWidget.fit(name, inner.width - 1, glyphs: glyphs), x: inner.x + 1, y: inner.y, role: role, bold: true, clip: Rect(x: clip.x, y: clip.y, width: min(clip.maxX, inner.maxX) - clip.x, height: clip.height))
        if inner.height >= 2 {
            let traffic = service?.traffic ?? TrafficMetrics()
            let metrics = traffic.rps > 0
                ? "\(ViewModels.number(traffic.rps, 1))rps \(ViewModels.number((traffic.serverErrorRate ?? 0) * 100, 1))%"
                : (sending > 0 ? "sends \(ViewModels.number(sending, 1))rps" : health.rawValue)
            buffer.put(TableWidget.fit(metrics, inner.width - 1, glyphs: glyphs), x: inner.x + 1, y: inner.y + 1, role: Role.health(health.rawValue),
                       clip: Rect(x: clip.x, y: clip.y, width: min(clip.maxX, inner.maxX) - clip.x, height: clip.height))
        }
    }

    static func boxOutline(_ rect: Rect, role: Role, clip: Rect, glyphs: Glyphs, _ buffer: inout CellBuffer) {
        for x in rect.x..<rect.maxX {
            let top: Character = x == rect.x ? glyphs.topLeft : (x == rect.maxX - 1 ? glyphs.topRight : glyphs.horizontal)
            let bottom: Character = x == rect.x ? glyphs.bottomLeft : (x == rect.maxX - 1 ? glyphs.bottomRight : glyphs.horizontal)
            buffer.put(String(top), x: x, y: rect.y, role: role, clip: clip)
            buffer.put(String(bottom), x: x, y: rect.maxY - 1, role: role, clip: clip)
        }
        for y in (rect.y + 1)..<max(rect.y + 1, rect.maxY - 1) {
            buffer.put(String(glyphs.vertical), x: rect.x, y: y, role: role, clip: clip)
            buffer.put(String(glyphs.vertical), x: rect.maxX - 1, y: y, role: role, clip: clip)
        }
    }

    static func put(_ text: String, x: Int, y: Int, origin: (x: Int, y: Int), clip: Rect, role: Role, _ buffer: inout CellBuffer) {
        let screenY = origin.y + y
        guard screenY >= clip.y, screenY < clip.maxY else { return }
        buffer.put(text, x: origin.x + x, y: screenY, role: role, clip: clip)
    }
}
