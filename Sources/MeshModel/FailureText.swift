/// A source failure's words (`SourceError.description`, "SOURCE: REASON") for a narrow place:
/// the reason is what an operator needs, so when the whole does not fit it comes first and the
/// source follows without its query string. The source never holds ": " (URLs have no blank
/// after their colons), so the first ": " separates the two.
public enum FailureText {
    /// The source and the reason of `text`, or nil when it is not in that shape.
    public static func parts(_ text: String) -> (source: String, reason: String)? {
        guard let separator = text.range(of: ": ") else { return nil }
        let source = String(text[..<separator.lowerBound]), reason = String(text[separator.upperBound...])
        guard !source.isEmpty, !reason.isEmpty else { return nil }
        return (source, reason)
    }

    /// `text` as it fits `width` characters: whole; else without query strings; else the
    /// reason first, then the source.
    public static func compact(_ text: String, width: Int) -> String {
        guard text.count > width, let (source, reason) = parts(text) else { return text }
        let bare = withoutQueries(source)
        if bare.count + 2 + reason.count <= width { return "\(bare): \(reason)" }
        return "\(reason) — \(bare)"
    }

    /// The reason first, then the source without its query strings (an event's message, which
    /// a table column cuts at its end).
    public static func causeFirst(_ text: String) -> String {
        guard let (source, reason) = parts(text) else { return text }
        return "\(reason) — \(withoutQueries(source))"
    }

    /// Every `?query` of the words dropped (up to the next blank).
    static func withoutQueries(_ source: String) -> String {
        source.split(separator: " ", omittingEmptySubsequences: false)
            .map { word in word.split(separator: "?", maxSplits: 1).first.map(String.init) ?? String(word) }
            .joined(separator: " ")
    }

    /// Lines of at most `width` characters, broken at blanks where there are any.
    public static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: false) {
                var word = Substring(word)
                while word.count > width {
                    if !line.isEmpty { lines.append(line); line = "" }
                    lines.append(String(word.prefix(width)))
                    word = word.dropFirst(width)
                }
                if line.isEmpty { line = String(word) } else if line.count + 1 + word.count <= width { line += " " + word } else {
                    lines.append(line)
                    line = String(word)
                }
            }
            lines.append(line)
        }
        return lines
    }
}
