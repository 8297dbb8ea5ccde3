import Foundation

/// The lines that differ between an expected and an actual text, for a failed golden: each
/// differing line numbered, expected (`-`) above actual (`+`), with the count of lines that
/// matched; not the whole screen twice.
public enum LineDiff {
    public static func describe(expected: String, actual: String, limit: Int = 40) -> String? {
        let old = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let new = actual.split(separator: "\n", omittingEmptySubsequences: false)
        var out: [String] = []
        var differing = 0
        for index in 0..<max(old.count, new.count) {
            let a = index < old.count ? old[index] : nil, b = index < new.count ? new[index] : nil
            guard a != b else { continue }
            differing += 1
            guard out.count < limit * 2 else { continue }
            out.append(String(format: "%4d - ", index + 1) + (a.map(String.init) ?? "(no line)"))
            out.append(String(format: "%4d + ", index + 1) + (b.map(String.init) ?? "(no line)"))
        }
        guard differing > 0 else { return nil }
        let total = max(old.count, new.count)
        let header = "\(differing) of \(total) lines differ (- expected, + actual)" + (differing > limit ? ", the first \(limit) shown" : "")
        return ([header] + out).joined(separator: "\n")
    }
}
