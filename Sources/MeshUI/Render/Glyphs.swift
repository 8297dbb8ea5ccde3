/// Box drawing, bars and sparklines in Unicode, with an ASCII fallback (`--ascii`, non-UTF-8 locales).
public struct Glyphs: Sendable, Equatable {
    public var horizontal: Character, vertical: Character
    public var topLeft: Character, topRight: Character, bottomLeft: Character, bottomRight: Character
    /// Sparkline levels, lowest first.
    public var levels: [Character]
    public var barFull: Character, barEmpty: Character
    public var selectionMarker: Character
    public var ellipsis: String

    public static let unicode = Glyphs(horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
                                       levels: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], barFull: "█", barEmpty: "░",
                                       selectionMarker: "▶", ellipsis: "…")
    public static let ascii = Glyphs(horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
                                     levels: ["_", ".", "-", "~", "=", "+", "*", "#"], barFull: "#", barEmpty: ".",
                                     selectionMarker: ">", ellipsis: "~")
}
