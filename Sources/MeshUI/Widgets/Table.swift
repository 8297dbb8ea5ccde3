import MeshModel
/// A table column: title, width rules and alignment.
public struct TableColumn: Sendable, Equatable {
    public var title: String
    /// Minimum width; flexible columns grow into the space left.
    public var width: Int
    public var flexible: Bool
    public var alignRight: Bool
    /// Lower numbers are dropped first when the terminal is narrow.
    public var priority: Int
    /// Too long, the text loses its middle, not its end: where the end is what tells rows apart
    /// (a certificate serial, a pod's hash).
    public var cutMiddle: Bool

    public init(_ title: String, width: Int, flexible: Bool = false, alignRight: Bool = false, priority: Int = 5, cutMiddle: Bool = false) {
        self.title = title
        self.width = max(width, title.count)
        self.flexible = flexible
        self.alignRight = alignRight
        self.priority = priority
        self.cutMiddle = cutMiddle
    }
}

/// One row: its cells, an optional role per cell, a stable key for selection, and sort values.
public struct TableRow: Sendable, Equatable {
    public var key: String
    public var cells: [String]
    public var roles: [Role?]
    /// Values used to sort by each column (numbers sort numerically).
    public var sortKeys: [SortKey]

    public init(key: String, cells: [String], roles: [Role?] = [], sortKeys: [SortKey] = []) {
        self.key = key
        self.cells = cells
        self.roles = roles
        self.sortKeys = sortKeys
    }

    /// Whether the row matches a filter: substring (case-insensitive), `!` inverts, `re:` regex.
    public func matches(_ filter: String) -> Bool {
        guard !filter.isEmpty else { return true }
        let text = cells.joined(separator: " ")
        if filter.hasPrefix("!") { return !matches(String(filter.dropFirst())) }
        if filter.hasPrefix("re:") {
            return text.range(of: String(filter.dropFirst(3)), options: [.regularExpression, .caseInsensitive]) != nil
        }
        return text.range(of: filter, options: .caseInsensitive) != nil
    }
}

public enum SortKey: Sendable, Equatable, Comparable {
    case number(Double)
    case text(String)

    public static func < (lhs: SortKey, rhs: SortKey) -> Bool {
        switch (lhs, rhs) {
        case let (.number(a), .number(b)): a < b
        case let (.text(a), .text(b)): a < b // plain order: localized comparison dominates sorting on Linux
        case (.number, .text): true
        case (.text, .number): false
        }
    }
}

/// Renders tables with a header, a selected row and scrolling; narrow terminals drop
/// low-priority columns rather than truncating everything.
public enum TableWidget {
    /// Visible columns and their widths for `width` cells.
    public static func layout(_ columns: [TableColumn], width: Int) -> [(index: Int, width: Int)] {
        var visible = Array(columns.indices)
        func needed(_ indices: [Int]) -> Int { indices.reduce(0) { $0 + columns[$1].width } + max(0, indices.count - 1) }
        while needed(visible) > width, visible.count > 1 {
            let drop = visible.min { (columns[$0].priority, -$0) < (columns[$1].priority, -$1) }!
            visible.removeAll { $0 == drop }
        }
        var widths = visible.map { columns[$0].width }
        let spare = width - needed(visible)
        let flexible = visible.indices.filter { columns[visible[$0]].flexible }
        if spare > 0, !flexible.isEmpty {
            for (order, position) in flexible.enumerated() {
                // Wide terminals: names get room to breathe, not half a screen each.
                let grow = spare / flexible.count + (order < spare % flexible.count ? 1 : 0)
                widths[position] = min(widths[position] + grow, max(48, widths[position] * 2))
            }
        }
        return zip(visible, widths).map { ($0, $1) }
    }

    /// Draws the table; `selected` is an index into `rows`, `offset` the first visible row.
    public static func render(columns: [TableColumn], rows: [TableRow], selected: Int?, offset: Int, sortColumn: Int?,
                              reversed: Bool, area: Rect, buffer: inout CellBuffer, glyphs: Glyphs) {
        guard area.height > 0, area.width > 0 else { return }
        let layout = layout(columns, width: area.width)
        var x = area.x
        for (index, width) in layout {
            var title = columns[index].title
            if index == sortColumn { title += reversed ? "↓" : "↑" }
            buffer.put(pad(title, width, right: columns[index].alignRight), x: x, y: area.y, role: .header, bold: true, clip: area)
            x += width + 1
        }
        let bodyRows = area.height - 1
        guard bodyRows > 0 else { return }
        for line in 0..<bodyRows {
            let rowIndex = offset + line
            guard rowIndex < rows.count else { break }
            let row = rows[rowIndex]
            let y = area.y + 1 + line
            x = area.x
            for (index, width) in layout {
                let text = index < row.cells.count ? TerminalText.clean(row.cells[index]) : ""
                let role = (index < row.roles.count ? row.roles[index] : nil) ?? .text
                let fitted = columns[index].cutMiddle ? fitMiddle(text, width, glyphs: glyphs) : fit(text, width, glyphs: glyphs)
                buffer.put(pad(fitted, width, right: columns[index].alignRight), x: x, y: y, role: role, clip: area)
                x += width + 1
            }
            if rowIndex == selected { buffer.paint(Rect(x: area.x, y: y, width: area.width, height: 1), role: .selection) }
        }
        if rows.count > bodyRows {
            let indicator = "\(min(rows.count, offset + 1))-\(min(rows.count, offset + bodyRows))/\(rows.count)"
            buffer.put(indicator, x: area.maxX - indicator.count, y: area.y, role: .muted, clip: area)
        }
    }

    /// Shortens text to `width` with an ellipsis.
    public static func fit(_ text: String, _ width: Int, glyphs: Glyphs) -> String {
        guard text.count > width else { return text }
        guard width > glyphs.ellipsis.count else { return String(text.prefix(width)) }
        return String(text.prefix(width - glyphs.ellipsis.count)) + glyphs.ellipsis
    }

    /// Shortens text to `width` by an ellipsis in its middle, keeping its start and its end.
    public static func fitMiddle(_ text: String, _ width: Int, glyphs: Glyphs) -> String {
        guard text.count > width else { return text }
        guard width > glyphs.ellipsis.count + 1 else { return fit(text, width, glyphs: glyphs) }
        let kept = width - glyphs.ellipsis.count
        return String(text.prefix(kept - kept / 2)) + glyphs.ellipsis + String(text.suffix(kept / 2))
    }

    static func pad(_ text: String, _ width: Int, right: Bool) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }

    /// Keeps `selected` visible: the new first row.
    public static func scroll(selected: Int, offset: Int, visibleRows: Int) -> Int {
        guard visibleRows > 0 else { return 0 }
        if selected < offset { return selected }
        if selected >= offset + visibleRows { return selected - visibleRows + 1 }
        return offset
    }
}
