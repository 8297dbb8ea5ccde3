/// What a cell means, not how it looks: themes map roles to colours, so views never name colours.
public enum Role: String, Sendable, CaseIterable, Codable {
    case text, muted, header, border, title, selection
    case healthy, idle, unknown, degraded, warning, failure, critical
    case stale, expiring, accent, statusBar, tabActive, tabInactive
    case barFill, sparkline, banner, dialog, toast, filter, readOnly

    /// The role for a health verdict.
    public static func health(_ name: String) -> Role {
        Role(rawValue: name) ?? .unknown
    }
}

/// One terminal cell: a character, its role, and emphasis.
public struct Cell: Equatable, Sendable {
    public var character: Character
    public var role: Role
    public var bold: Bool

    public init(_ character: Character = " ", role: Role = .text, bold: Bool = false) {
        self.character = character
        self.role = role
        self.bold = bold
    }
}

/// A rectangle of the screen.
public struct Rect: Equatable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var maxY: Int { y + height }
    public var maxX: Int { x + width }

    /// The rectangle without a one-cell border.
    public var inner: Rect { Rect(x: x + 1, y: y + 1, width: width - 2, height: height - 2) }

    /// Splits off `rows` at the top; returns (top, rest).
    public func splitTop(_ rows: Int) -> (Rect, Rect) {
        let top = min(rows, height)
        return (Rect(x: x, y: y, width: width, height: top), Rect(x: x, y: y + top, width: width, height: height - top))
    }

    /// Splits off `rows` at the bottom; returns (rest, bottom).
    public func splitBottom(_ rows: Int) -> (Rect, Rect) {
        let bottom = min(rows, height)
        return (Rect(x: x, y: y, width: width, height: height - bottom), Rect(x: x, y: maxY - bottom, width: width, height: bottom))
    }

    /// Splits columns: the left part `columns` wide.
    public func splitLeft(_ columns: Int) -> (Rect, Rect) {
        let left = min(columns, width)
        return (Rect(x: x, y: y, width: left, height: height), Rect(x: x + left, y: y, width: width - left, height: height))
    }

    /// A box of at most the given size, centred in this one.
    public func centred(width: Int, height: Int) -> Rect {
        let w = min(width, self.width), h = min(height, self.height)
        return Rect(x: x + (self.width - w) / 2, y: y + (self.height - h) / 2, width: w, height: h)
    }
}
