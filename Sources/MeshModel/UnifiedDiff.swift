/// Line diffs in the unified format of `diff -u` / `git diff`, for config revisions.
/// Uses the standard library's Myers difference; hunks carry `context` lines around changes.
public enum UnifiedDiff {
    enum Line: Equatable {
        case same(String), removed(String), inserted(String)
    }

    /// The diff of `old` → `new` with `---`/`+++` headers, or "" when they are equal.
    public static func make(old: String, new: String, oldLabel: String = "a", newLabel: String = "b", context: Int = 3) -> String {
        let a = lines(old), b = lines(new)
        guard a != b else { return "" }
        let script = editScript(a, b)
        var out = "--- \(oldLabel)\n+++ \(newLabel)\n"
        for hunk in hunks(script, context: context) { out += hunk }
        return out
    }

    static func lines(_ text: String) -> [String] {
        text.isEmpty ? [] : text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLastIfEmpty()
    }

    static func editScript(_ a: [String], _ b: [String]) -> [Line] {
        let difference = b.difference(from: a)
        var removed = Set<Int>(), inserted = Set<Int>()
        for change in difference {
            switch change {
            case let .remove(offset, _, _): removed.insert(offset)
            case let .insert(offset, _, _): inserted.insert(offset)
            }
        }
        var script: [Line] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, removed.contains(i) {
                script.append(.removed(a[i])); i += 1
            } else if j < b.count, inserted.contains(j) {
                script.append(.inserted(b[j])); j += 1
            } else {
                script.append(.same(a[i])); i += 1; j += 1
            }
        }
        return script
    }

    static func hunks(_ script: [Line], context: Int) -> [String] {
        let changed = script.indices.filter { script[$0] != .same(text(script[$0])) }
        guard !changed.isEmpty else { return [] }
        // Group changes whose context windows touch.
        var ranges: [ClosedRange<Int>] = []
        for index in changed {
            let low = max(0, index - context), high = min(script.count - 1, index + context)
            if let last = ranges.last, low <= last.upperBound + 1 {
                ranges[ranges.count - 1] = last.lowerBound...max(last.upperBound, high)
            } else {
                ranges.append(low...high)
            }
        }
        // Line numbers in old and new at each script position.
        var oldLine = [Int](repeating: 0, count: script.count + 1), newLine = oldLine
        for (index, line) in script.enumerated() {
            oldLine[index + 1] = oldLine[index] + (line.isInserted ? 0 : 1)
            newLine[index + 1] = newLine[index] + (line.isRemoved ? 0 : 1)
        }
        return ranges.map { range in
            let slice = script[range]
            let oldCount = slice.filter { !$0.isInserted }.count, newCount = slice.filter { !$0.isRemoved }.count
            let oldStart = oldCount == 0 ? oldLine[range.lowerBound] : oldLine[range.lowerBound] + 1
            let newStart = newCount == 0 ? newLine[range.lowerBound] : newLine[range.lowerBound] + 1
            var out = "@@ -\(oldStart),\(oldCount) +\(newStart),\(newCount) @@\n"
            for line in slice {
                switch line {
                case let .same(text): out += " \(text)\n"
                case let .removed(text): out += "-\(text)\n"
                case let .inserted(text): out += "+\(text)\n"
                }
            }
            return out
        }
    }

    static func text(_ line: Line) -> String {
        switch line {
        case let .same(text), let .removed(text), let .inserted(text): text
        }
    }
}

extension UnifiedDiff.Line {
    var isInserted: Bool { if case .inserted = self { true } else { false } }
    var isRemoved: Bool { if case .removed = self { true } else { false } }
}

extension Array where Element == String {
    /// A trailing newline does not make an extra empty line.
    fileprivate func dropLastIfEmpty() -> [String] { last == "" ? Array(dropLast()) : self }
}
