import Foundation

/// RFC 3339 timestamps as Go and protobuf print them (UTC, `Z`, milliseconds when non-zero).
enum Timestamp {
    static func rfc3339(_ date: Date, fractional: Bool = false) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = Int(seconds.rounded(.down))
        var tm = tm()
        var time = time_t(whole)
        gmtime_r(&time, &tm)
        // Hand-formatted: String(format:) is slow on Linux and syncz prints thousands of these.
        var out = pad(Int(tm.tm_year) + 1900, 4) + "-" + pad(Int(tm.tm_mon) + 1, 2) + "-" + pad(Int(tm.tm_mday), 2)
        out += "T" + pad(Int(tm.tm_hour), 2) + ":" + pad(Int(tm.tm_min), 2) + ":" + pad(Int(tm.tm_sec), 2)
        guard fractional else { return out + "Z" }
        let millis = min(999, Int(((seconds - Double(whole)) * 1000).rounded(.down)))
        return out + "." + pad(millis, 3) + "Z"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
