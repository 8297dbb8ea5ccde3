import MeshModel
/// The screen as cells. Views draw into it; backends diff two buffers (curses) or print it
/// (text, goldens). Drawing is clipped to the buffer, so a view can never write out of bounds.
public struct CellBuffer: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(), count: self.width * self.height)
    }

    public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { if x >= 0, y >= 0, x < width, y < height { cells[y * width + x] = newValue } }
    }

    /// Writes `text` from (x, y), clipped to `clip` (default: the whole buffer); returns the
    /// column after the last character written. Control characters never reach a cell.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, role: Role = .text, bold: Bool = false, clip: Rect? = nil) -> Int {
        let bounds = clip ?? area
        guard y >= bounds.y, y < bounds.maxY, y >= 0, y < height else { return x }
        var column = x
        // Escape sequences go whole (not as "?]0;title"); what is left is checked per cell.
        for character in TerminalText.clean(text) {
            if column >= bounds.maxX || column >= width { break }
            if column >= bounds.x, column >= 0 {
                cells[y * width + column] = Cell(TerminalText.isSafe(character) ? character : "?", role: role, bold: bold)
            }
            column += 1
        }
        return column
    }

    public mutating func fill(_ rect: Rect, _ character: Character = " ", role: Role = .text) {
        for y in max(0, rect.y)..<min(height, rect.maxY) {
            for x in max(0, rect.x)..<min(width, rect.maxX) { cells[y * width + x] = Cell(character, role: role) }
        }
    }

    /// Sets the role of a row span (selection highlight) keeping the characters.
    public mutating func paint(_ rect: Rect, role: Role, bold: Bool? = nil) {
        for y in max(0, rect.y)..<min(height, rect.maxY) {
            for x in max(0, rect.x)..<min(width, rect.maxX) {
                cells[y * width + x].role = role
                if let bold { cells[y * width + x].bold = bold }
            }
        }
    }

    /// A box with a title in its top edge.
    public mutating func box(_ rect: Rect, title: String? = nil, glyphs: Glyphs, role: Role = .border) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        for x in rect.x + 1..<rect.maxX - 1 {
            self[x, rect.y] = Cell(glyphs.horizontal, role: role)
            self[x, rect.maxY - 1] = Cell(glyphs.horizontal, role: role)
        }
        for y in rect.y + 1..<rect.maxY - 1 {
            self[rect.x, y] = Cell(glyphs.vertical, role: role)
            self[rect.maxX - 1, y] = Cell(glyphs.vertical, role: role)
        }
        self[rect.x, rect.y] = Cell(glyphs.topLeft, role: role)
        self[rect.maxX - 1, rect.y] = Cell(glyphs.topRight, role: role)
        self[rect.x, rect.maxY - 1] = Cell(glyphs.bottomLeft, role: role)
        self[rect.maxX - 1, rect.maxY - 1] = Cell(glyphs.bottomRight, role: role)
        if let title, rect.width > 4 {
            put(" \(title) ", x: rect.x + 2, y: rect.y, role: .title, bold: true, clip: Rect(x: rect.x, y: rect.y, width: rect.width - 2, height: 1))
        }
    }

    /// Rows as plain text, trailing blanks kept (for goldens and `-o text`).
    public var lines: [String] {
        (0..<height).map { y in String(cells[(y * width)..<((y + 1) * width)].map(\.character)) }
    }

    /// The golden form: rows fenced with `|`, then, per row, the runs of roles that differ
    /// from `text` (`row: start-end role`), so a golden shows both what and how.
    public var golden: String {
        var out = lines.map { "|\($0)|" }
        out.append("-- roles --")
        for y in 0..<height {
            var x = 0
            while x < width {
                let cell = cells[y * width + x]
                var end = x
                while end + 1 < width, cells[y * width + end + 1].role == cell.role, cells[y * width + end + 1].bold == cell.bold { end += 1 }
                if cell.role != .text || cell.bold {
                    out.append("\(y): \(x)-\(end) \(cell.role.rawValue)\(cell.bold ? " bold" : "")")
                }
                x = end + 1
            }
        }
        return out.joined(separator: "\n") + "\n"
    }
}
