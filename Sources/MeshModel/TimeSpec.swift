import Foundation

/// Durations and instants as operators type them: `90s`, `15m`, `1h30m`, `30d` for durations;
/// for instants a duration means "that long ago", or `14:02`, `14:02:10` (today, local time),
/// `2026-11-26 14:02[:10]`, RFC 3339 (`2026-11-26T14:02:10Z`), `@1764165730` (Unix seconds), `now`.
public enum TimeSpec {
    /// Seconds in a duration like `1h30m`; nil when it is not one.
    public static func duration(_ text: String) -> TimeInterval? {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !text.isEmpty else { return nil }
        if let seconds = Double(text) { return seconds }
        var total = 0.0, number = ""
        for character in text {
            if character.isNumber || character == "." {
                number.append(character)
                continue
            }
            guard let value = Double(number) else { return nil }
            switch character {
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            case "d": total += value * 86400
            case "w": total += value * 7 * 86400
            default: return nil
            }
            number = ""
        }
        return number.isEmpty ? total : nil
    }

    /// The instant `text` names, relative to `now` and in `timeZone` for clock times.
    public static func instant(_ text: String, now: Date = Date(), timeZone: TimeZone = .current) -> Date? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text == "now" { return now }
        if text.hasPrefix("@"), let seconds = Double(text.dropFirst()) { return Date(timeIntervalSince1970: seconds) }
        if let ago = duration(text), text.contains(where: \.isLetter) { return now.addingTimeInterval(-ago) }
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = text.split(separator: " ")
        var day = calendar.dateComponents([.year, .month, .day], from: now)
        var clock = text
        if parts.count == 2 {
            let date = parts[0].split(separator: "-").compactMap { Int($0) }
            guard date.count == 3 else { return nil }
            day = DateComponents(year: date[0], month: date[1], day: date[2])
            clock = String(parts[1])
        } else if parts.count != 1 {
            return nil
        } else if text.split(separator: "-").count == 3 {
            let date = text.split(separator: "-").compactMap { Int($0) }
            guard date.count == 3 else { return nil }
            return calendar.date(from: DateComponents(year: date[0], month: date[1], day: date[2]))
        }
        let fields = clock.split(separator: ":").map { Int($0) }
        guard (2...3).contains(fields.count), fields.allSatisfy({ $0 != nil }) else { return nil }
        var components = day
        components.hour = fields[0]
        components.minute = fields[1]
        components.second = fields.count == 3 ? fields[2] : 0
        guard (0..<24).contains(fields[0]!), (0..<60).contains(fields[1]!), (0..<61).contains(components.second!) else { return nil }
        return calendar.date(from: components)
    }
}
