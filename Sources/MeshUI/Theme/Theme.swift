import Foundation
import Yams

/// How many colours the terminal can show; themes degrade from truecolor down to none.
public enum ColorDepth: Int, Sendable, CaseIterable, Comparable {
    case mono = 0, ansi8 = 8, ansi16 = 16, xterm256 = 256, truecolor = 16_777_216

    public static func < (lhs: ColorDepth, rhs: ColorDepth) -> Bool { lhs.rawValue < rhs.rawValue }

    /// From the environment and the terminal's colour count: `NO_COLOR` forces mono;
    /// `COLORTERM=truecolor|24bit` gives truecolor.
    public static func detect(colors: Int, environment: [String: String]) -> ColorDepth {
        if environment["NO_COLOR"].map({ !$0.isEmpty }) ?? false { return .mono }
        if ["truecolor", "24bit"].contains(environment["COLORTERM"] ?? "") { return .truecolor }
        if colors >= 256 { return .xterm256 }
        if colors >= 16 { return .ansi16 }
        if colors >= 8 { return .ansi8 }
        return .mono
    }
}

/// A colour as a theme writes it: `#rrggbb`, an ANSI name (`red`, `brightblue`), `color123`, or `default`.
public struct ThemeColor: Sendable, Equatable {
    public var red: Int, green: Int, blue: Int
    public var isDefault: Bool

    public static let `default` = ThemeColor(red: 0, green: 0, blue: 0, isDefault: true)

    static let ansi: [(String, (Int, Int, Int))] = [
        ("black", (0, 0, 0)), ("red", (205, 0, 0)), ("green", (0, 205, 0)), ("yellow", (205, 205, 0)), ("blue", (0, 0, 238)),
        ("magenta", (205, 0, 205)), ("cyan", (0, 205, 205)), ("white", (229, 229, 229)), ("brightblack", (127, 127, 127)),
        ("brightred", (255, 0, 0)), ("brightgreen", (0, 255, 0)), ("brightyellow", (255, 255, 0)), ("brightblue", (92, 92, 255)),
        ("brightmagenta", (255, 0, 255)), ("brightcyan", (0, 255, 255)), ("brightwhite", (255, 255, 255)),
    ]

    public static func parse(_ text: String) -> ThemeColor? {
        let value = text.lowercased().trimmingCharacters(in: .whitespaces)
        if value == "default" { return .default }
        if value.hasPrefix("#"), value.count == 7, let rgb = Int(value.dropFirst(), radix: 16) {
            return ThemeColor(red: rgb >> 16 & 0xFF, green: rgb >> 8 & 0xFF, blue: rgb & 0xFF, isDefault: false)
        }
        if let entry = ansi.first(where: { $0.0 == value }) {
            return ThemeColor(red: entry.1.0, green: entry.1.1, blue: entry.1.2, isDefault: false)
        }
        if value.hasPrefix("color"), let index = Int(value.dropFirst(5)), (0..<256).contains(index) {
            let (r, g, b) = Palette.xterm(index)
            return ThemeColor(red: r, green: g, blue: b, isDefault: false)
        }
        return nil
    }
}

/// A role's look at one colour depth: palette indices (or packed RGB for truecolor), attributes.
public struct ResolvedStyle: Sendable, Equatable {
    /// Foreground/background: nil = terminal default. Palette index for 8/16/256, 0xRRGGBB for truecolor.
    public var foreground: Int?
    public var background: Int?
    public var bold: Bool
    public var reverse: Bool
    public var underline: Bool
}

/// A theme: semantic roles → colours (+ attributes), loaded from `Themes/*.yaml`.
public struct Theme: Sendable {
    public struct Style: Sendable, Equatable {
        public var foreground: ThemeColor
        public var background: ThemeColor
        public var bold: Bool
        /// Attributes used when no colour is available (mono).
        public var mono: Set<String>
    }

    public var name: String
    public var description: String
    public var styles: [Role: Style]

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func load(yaml text: String, name fallback: String) throws -> Theme {
        guard let document = try Yams.load(yaml: text) as? [String: Any], let roles = document["roles"] as? [String: Any] else {
            throw LoadError(description: "theme \(fallback): expected a mapping with `roles:`")
        }
        var styles: [Role: Style] = [:]
        for (key, value) in roles {
            guard let role = Role(rawValue: key) else { throw LoadError(description: "theme \(fallback): unknown role \(key)") }
            guard let spec = value as? [String: Any] else { throw LoadError(description: "theme \(fallback): role \(key) is not a mapping") }
            func color(_ field: String) throws -> ThemeColor {
                guard let text = spec[field] as? String else { return .default }
                guard let color = ThemeColor.parse(text) else { throw LoadError(description: "theme \(fallback): \(key).\(field) '\(text)' is not a colour") }
                return color
            }
            styles[role] = Style(foreground: try color("fg"), background: try color("bg"), bold: spec["bold"] as? Bool ?? false,
                                 mono: Set((spec["mono"] as? [String]) ?? []))
        }
        return Theme(name: document["name"] as? String ?? fallback, description: document["description"] as? String ?? "", styles: styles)
    }

    /// Themes from a directory of YAML files, by name.
    public static func loadAll(directory: URL) throws -> [String: Theme] {
        var themes: [String: Theme] = [:]
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        for file in files where file.pathExtension == "yaml" {
            let name = file.deletingPathExtension().lastPathComponent
            themes[name] = try load(yaml: String(contentsOf: file, encoding: .utf8), name: name)
        }
        return themes
    }

    /// The look of `role` at `depth`; roles the theme leaves out fall back to `text`.
    public func resolve(_ role: Role, depth: ColorDepth) -> ResolvedStyle {
        let style = styles[role] ?? styles[.text] ?? Style(foreground: .default, background: .default, bold: false, mono: [])
        // No colour at this depth, or none in the theme (mono): attributes carry the meaning.
        if depth == .mono || (style.foreground.isDefault && style.background.isDefault) {
            return ResolvedStyle(foreground: nil, background: nil, bold: style.bold || style.mono.contains("bold"),
                                 reverse: style.mono.contains("reverse"), underline: style.mono.contains("underline"))
        }
        return ResolvedStyle(foreground: Palette.index(style.foreground, depth: depth), background: Palette.index(style.background, depth: depth),
                             bold: style.bold, reverse: false, underline: false)
    }
}

/// Colour reduction: nearest colour in the xterm 256, ANSI 16 and ANSI 8 palettes.
public enum Palette {
    public static func xterm(_ index: Int) -> (Int, Int, Int) {
        if index < 16 { return ThemeColor.ansi[index].1 }
        if index < 232 {
            let value = index - 16
            let levels = [0, 95, 135, 175, 215, 255]
            return (levels[value / 36], levels[value / 6 % 6], levels[value % 6])
        }
        let gray = 8 + (index - 232) * 10
        return (gray, gray, gray)
    }

    public static func index(_ color: ThemeColor, depth: ColorDepth) -> Int? {
        guard !color.isDefault else { return nil }
        switch depth {
        case .truecolor: return color.red << 16 | color.green << 8 | color.blue
        case .xterm256: return nearest(color, in: 16..<256)
        case .ansi16: return nearest(color, in: 0..<16)
        case .ansi8: return nearest(color, in: 0..<8)
        case .mono: return nil
        }
    }

    static func nearest(_ color: ThemeColor, in range: Range<Int>) -> Int {
        range.min { a, b in distance(color, xterm(a)) < distance(color, xterm(b)) }!
    }

    static func distance(_ color: ThemeColor, _ other: (Int, Int, Int)) -> Int {
        let dr = color.red - other.0, dg = color.green - other.1, db = color.blue - other.2
        return 2 * dr * dr + 4 * dg * dg + 3 * db * db
    }
}
