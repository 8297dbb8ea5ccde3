/// Text from the mesh made safe for a terminal. Names, labels, route names, versions and error
/// bodies come from sources we do not control; written raw, an escape sequence in a service
/// name could retitle the window, clear the screen, switch screens, write the clipboard
/// (OSC 52) or reorder what the operator reads (bidi overrides). Everything that reaches the
/// console, a text or CSV export, or stderr passes through here.
public enum TerminalText {
    /// False for C0 controls, DEL, C1 controls (U+0080–U+009F: 8-bit CSI and OSC) and the bidi
    /// embedding, override and isolate characters.
    public static func isSafe(_ character: Character) -> Bool {
        for scalar in character.unicodeScalars {
            let value = scalar.value
            if value < 0x20 || (0x7F...0x9F).contains(value) { return false }
            if (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) { return false }
        }
        return true
    }

    /// One line: escape sequences (CSI, OSC, two-byte) dropped whole, every other unsafe
    /// character shown as `?`, tabs and line breaks as spaces.
    public static func clean(_ text: String) -> String {
        if !needsCleaning(text) { return text }
        return sanitize(text, keepNewlines: false)
    }

    /// Several lines (a diff, a table, a message): as `clean`, but newlines stay.
    public static func cleanLines(_ text: String) -> String {
        if !needsCleaning(text, allowNewlines: true) { return text }
        return sanitize(text, keepNewlines: true)
    }

    /// Whether the UTF-8 holds anything `isSafe` rejects, checked on bytes so that the common
    /// case (every cell of every frame) costs one pass and no allocation: C0 and DEL are single
    /// bytes, C1 is `C2 80`–`C2 9F`, the bidi controls `E2 80 AA`–`AE` and `E2 81 A6`–`A9`.
    public static func needsCleaning(_ text: String, allowNewlines: Bool = false) -> Bool {
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            if byte < 0x20 { if allowNewlines && byte == 0x0A { continue } else { return true } }
            if byte < 0x7F { continue }
            if byte == 0x7F { return true }
            if byte == 0xC2, let next = utf8.next() {
                if (0x80...0x9F).contains(next) { return true }
            } else if byte == 0xE2, let second = utf8.next(), let third = utf8.next() {
                if second == 0x80, (0xAA...0xAE).contains(third) { return true }
                if second == 0x81, (0xA6...0xA9).contains(third) { return true }
            }
        }
        return false
    }

    static func sanitize(_ text: String, keepNewlines: Bool) -> String {
        var out = ""
        var iterator = text.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            switch scalar.value {
            case 0x1B:
                guard let next = iterator.next() else { break }
                if next == "[" {
                    // CSI: parameters and intermediates up to a final byte 0x40–0x7E.
                    while let c = iterator.next(), !(0x40...0x7E).contains(c.value) {}
                } else if next == "]" || next == "P" || next == "_" || next == "^" {
                    // OSC, DCS, APC, PM: up to BEL or ST (ESC \).
                    while let c = iterator.next(), c.value != 0x07 {
                        if c.value == 0x1B { _ = iterator.next(); break }
                    }
                }
            case 0x9B:
                while let c = iterator.next(), !(0x40...0x7E).contains(c.value) {}
            case 0x9D:
                while let c = iterator.next(), c.value != 0x07, c.value != 0x9C {}
            case 0x0A:
                out.append(keepNewlines ? "\n" : " ")
            case 0x09, 0x0D:
                out.append(" ")
            default:
                out.unicodeScalars.append(isSafe(Character(scalar)) ? scalar : "?")
            }
        }
        return out
    }

    /// JSON text with DEL, C1 controls and bidi controls written as `\uXXXX` escapes. JSON
    /// encoders escape only U+0000–U+001F, and a UTF-8 terminal may act on the rest when an
    /// export is printed; the escaped form decodes to the same strings. Outside strings JSON
    /// is ASCII, so replacing these characters anywhere is safe.
    public static func escapeJSON(_ json: String) -> String {
        if json.utf8.allSatisfy({ $0 < 0x7F }) { return json }
        var out = ""
        out.unicodeScalars.reserveCapacity(json.unicodeScalars.count)
        for scalar in json.unicodeScalars {
            let value = scalar.value
            if (0x7F...0x9F).contains(value) || (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) {
                let hex = String(value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
