import Foundation
import Testing
@testable import MeshUI

@Suite("Themes")
struct ThemeTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Themes")

    @Test("The five shipped themes load and resolve every role at every colour depth")
    func everyRoleEveryDepth() throws {
        let themes = try Theme.loadAll(directory: Self.directory)
        #expect(Set(themes.keys) == ["default", "light", "high-contrast", "colorblind", "mono"])
        for (name, theme) in themes {
            for role in Role.allCases {
                #expect(theme.styles[role] != nil, "\(name) defines \(role)")
                for depth in ColorDepth.allCases {
                    let style = theme.resolve(role, depth: depth)
                    switch depth {
                    case .mono: #expect(style.foreground == nil && style.background == nil)
                    case .ansi8: #expect((style.foreground ?? 0) < 8 && (style.background ?? 0) < 8, "\(name) \(role)")
                    case .ansi16: #expect((style.foreground ?? 0) < 16 && (style.background ?? 0) < 16)
                    case .xterm256: #expect((style.foreground ?? 16) >= 16 && (style.foreground ?? 16) < 256)
                    case .truecolor: #expect((style.foreground ?? 0) <= 0xFFFFFF)
                    }
                }
            }
            // Selection must stay visible without colour.
            let selection = theme.resolve(.selection, depth: .mono)
            #expect(selection.reverse, "\(name): selection visible in mono")
        }
    }

    @Test("NO_COLOR forces mono; COLORTERM=truecolor is honoured; depth follows the terminal's colours")
    func depthDetection() {
        #expect(ColorDepth.detect(colors: 256, environment: ["NO_COLOR": "1"]) == .mono)
        #expect(ColorDepth.detect(colors: 256, environment: ["COLORTERM": "truecolor"]) == .truecolor)
        #expect(ColorDepth.detect(colors: 256, environment: [:]) == .xterm256)
        #expect(ColorDepth.detect(colors: 8, environment: [:]) == .ansi8)
        #expect(ColorDepth.detect(colors: 0, environment: [:]) == .mono)
    }

    @Test("Colours degrade to the nearest palette entry")
    func degrade() throws {
        let red = try #require(ThemeColor.parse("#ff0000"))
        #expect(Palette.index(red, depth: .xterm256) == 196)
        #expect(Palette.index(red, depth: .ansi16) == 9)
        #expect(Palette.index(red, depth: .ansi8) == 1)
        #expect(ThemeColor.parse("brightblue") != nil && ThemeColor.parse("color42") != nil && ThemeColor.parse("chartreuse") == nil)
    }

    @Test("A theme with an unknown role or colour is refused with its name")
    func badTheme() {
        #expect(throws: Theme.LoadError.self) { try Theme.load(yaml: "roles:\n  nosuchrole: {fg: red}\n", name: "bad") }
        #expect(throws: Theme.LoadError.self) { try Theme.load(yaml: "roles:\n  text: {fg: chartreuse}\n", name: "bad") }
    }
}
