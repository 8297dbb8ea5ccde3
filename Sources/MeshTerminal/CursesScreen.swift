import CNCurses
import Foundation
import MeshUI

/// The curses backend: owns the terminal, draws the difference between the previous and the
/// next cell buffer once per frame, reads keys. Only the run loop's thread touches it (curses is
/// not thread-safe), which is why it is a plain class without Sendable.
final class CursesScreen {
    private let window: UnsafeMutablePointer<WINDOW>
    private var previous: CellBuffer?
    private var pairs: [Role: (pair: Int32, attributes: attr_t)] = [:]
    let utf8: Bool
    private(set) var depth: ColorDepth = .mono

    init(mouse: Bool) {
        setlocale(LC_ALL, "")
        guard let screen = initscr() else { fatalError("initscr failed") }
        window = screen
        utf8 = meshtop_locale_is_utf8() != 0
        raw()
        noecho()
        keypad(window, true)
        set_escdelay(25)
        curs_set(0)
        wtimeout(window, 50)
        if has_colors() {
            start_color()
            use_default_colors()
        }
        if mouse { mousemask(meshtop_button1_pressed(), nil) }
    }

    var size: (width: Int, height: Int) { (Int(meshtop_max_x(window)), Int(meshtop_max_y(window))) }

    /// One colour pair per role, allocated at theme load (never a growing counter).
    func apply(_ theme: Theme, environment: [String: String]) {
        let colors = has_colors() ? Int(meshtop_colors()) : 0
        // ncurses without a direct-colour terminfo draws truecolor themes at 256 colours.
        let detected = ColorDepth.detect(colors: colors, environment: environment)
        depth = Swift.min(detected, colors >= 256 ? ColorDepth.xterm256 : ColorDepth.truecolor)
        if colors < 256, depth > ColorDepth.ansi16 { depth = colors >= 16 ? ColorDepth.ansi16 : (colors >= 8 ? ColorDepth.ansi8 : ColorDepth.mono) }
        for (index, role) in Role.allCases.enumerated() {
            let style = theme.resolve(role, depth: depth)
            var attributes = meshtop_a_normal()
            if style.bold { attributes |= meshtop_a_bold() }
            if style.reverse { attributes |= meshtop_a_reverse() }
            if style.underline { attributes |= meshtop_a_underline() }
            let pair = Int32(index + 1)
            if depth != .mono, Int(pair) < Int(meshtop_color_pairs()) {
                init_pair(Int16(pair), Int16(style.foreground ?? -1), Int16(style.background ?? -1))
                pairs[role] = (pair, attributes)
            } else {
                pairs[role] = (0, attributes)
            }
        }
        previous = nil // redraw everything in the new colours
    }

    /// Draws only what changed since the last frame.
    func draw(_ buffer: CellBuffer) {
        let full = previous == nil || previous!.width != buffer.width || previous!.height != buffer.height
        if full { werase(window) }
        for y in 0..<buffer.height {
            var x = 0
            while x < buffer.width {
                let cell = buffer[x, y]
                if !full, let previous, previous[x, y] == cell { x += 1; continue }
                // A run of changed cells with one style.
                var run = String(cell.character)
                var end = x + 1
                while end < buffer.width {
                    let next = buffer[end, y]
                    guard next.role == cell.role, next.bold == cell.bold, full || previous?[end, y] != next else { break }
                    run.append(next.character)
                    end += 1
                }
                let style = pairs[cell.role] ?? (0, meshtop_a_normal())
                let attributes = style.attributes | (cell.bold ? meshtop_a_bold() : meshtop_a_normal())
                // The bottom-right cell cannot be written without scrolling on some terminals.
                if y == buffer.height - 1, end == buffer.width { run.removeLast() }
                _ = meshtop_put(window, Int32(y), Int32(x), run, attributes, style.pair)
                x = end
            }
        }
        wrefresh(window)
        previous = buffer
    }

    /// The next key, or nil after the read timeout.
    /// True once the terminal is gone (the SSH connection dropped, the tmux pane was killed):
    /// every read would fail from now on, so the session must end instead of spinning.
    var terminalLost: Bool {
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) >= 0 else { return errno != EINTR }
        return descriptor.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }

    func readKey() -> ReadResult? {
        var character: wint_t = 0
        let status = wget_wch(window, &character)
        if status == meshtop_err() { return nil }
        if status == meshtop_key_code_yes() {
            switch Int32(character) {
            case meshtop_key_resize(): return .resize
            case KEY_UP: return .key(.up)
            case KEY_DOWN: return .key(.down)
            case KEY_LEFT: return .key(.left)
            case KEY_RIGHT: return .key(.right)
            case KEY_NPAGE: return .key(.pageDown)
            case KEY_PPAGE: return .key(.pageUp)
            case KEY_HOME: return .key(.home)
            case KEY_END: return .key(.end)
            case KEY_BTAB: return .key(.backTab)
            case KEY_ENTER: return .key(.enter)
            case KEY_BACKSPACE: return .key(.backspace)
            case meshtop_key_mouse():
                var event = MEVENT()
                guard getmouse(&event) == 0 else { return nil }
                return .key(.click(x: Int(event.x), y: Int(event.y)))
            default: return nil
            }
        }
        return Self.decode(UInt32(character)).map { .key($0) }
    }

    enum ReadResult {
        case key(Key)
        case resize
    }

    /// Plain characters and control codes (raw mode: Ctrl-C arrives as 3).
    static func decode(_ code: UInt32) -> Key? {
        switch code {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        case 1...26: return .control(Character(UnicodeScalar(code + 96)!))
        default: return UnicodeScalar(code).map { .character(Character($0)) }
        }
    }

    /// Hands the terminal back: on every exit path.
    func close() {
        endwin()
    }

    /// OSC 52: the terminal (even over SSH) puts the text on the local clipboard.
    func copyToClipboard(_ text: String) {
        let sequence = "\u{1B}]52;c;\(Data(text.utf8).base64EncodedString())\u{07}"
        FileHandle.standardOutput.write(Data(sequence.utf8))
    }
}
