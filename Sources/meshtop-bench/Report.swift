import ArgumentParser
import Foundation

/// One figure of a benchmark next to its anchor (measured in the same run, or a budget such as
/// one frame at 30 fps when nothing comparable can run here) and its goal.
struct BenchResult: Codable {
    var name: String
    var unit: String
    var value: Double
    var anchor: String
    var anchorValue: Double?
    var goal: String
    var met: Bool
}

/// `--json PATH` shared by every benchmark: the figures as a JSON array of `BenchResult`.
struct JSONOutput: ParsableArguments {
    @Option(help: "Write the figures as a JSON array of {name, unit, value, anchor, anchorValue, goal, met} to PATH.") var json: String?

    func write(_ results: [BenchResult]) throws {
        guard let json else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(results).write(to: URL(fileURLWithPath: json))
    }
}

enum BenchTable {
    /// The figures as an aligned table: name, value, anchor, goal, met.
    static func render(_ results: [BenchResult]) -> String {
        let rows = [["FIGURE", "VALUE", "ANCHOR", "GOAL", "MET"]] + results.map { result in
            [result.name, format(result.value, result.unit),
             result.anchorValue.map { "\(format($0, result.unit)) \(result.anchor)" } ?? result.anchor, result.goal, result.met ? "yes" : "NO"]
        }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func format(_ value: Double, _ unit: String) -> String {
        let digits = abs(value) >= 100 ? 0 : (abs(value) >= 10 ? 1 : 2)
        return String(format: "%.\(digits)f", value) + " " + unit
    }
}

/// Resident memory now (VmRSS) and at its peak (VmHWM), MB, from /proc.
enum Memory {
    static func current() -> Double { field("VmRSS:") }
    static func peak() -> Double { field("VmHWM:") }
    /// Megabytes the allocator has handed out and not had back: glibc's `malloc_info` totals,
    /// the heap it holds from the system minus its free chunks, plus mmapped blocks. RSS well
    /// above it is fragmentation or freed memory not yet returned, not live data.
    static func heapInUse() -> Double {
        var buffer: UnsafeMutablePointer<CChar>?
        var length = 0
        guard let stream = open_memstream(&buffer, &length) else { return 0 }
        _ = glibcMallocInfo(0, stream)
        fclose(stream)
        defer { free(buffer) }
        guard let buffer else { return 0 }
        let xml = String(cString: buffer)
        // The global totals follow the per-arena blocks, so each one's last occurrence counts.
        func last(_ element: String) -> Double {
            guard let start = xml.range(of: element, options: .backwards),
                  let size = xml[start.upperBound...].range(of: "size=\"") else { return 0 }
            return Double(xml[size.upperBound...].prefix { $0 != "\"" }) ?? 0
        }
        let system = last("<system type=\"current\"")
        let free = last("<total type=\"fast\"") + last("<total type=\"rest\"")
        let mmapped = last("<total type=\"mmap\"")
        return (system - free + mmapped) / 1_048_576
    }

    static func field(_ name: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return 0 }
        return Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "0").map { $0 / 1024 } ?? 0
    }
}

/// glibc's `malloc_info` (malloc.h is not imported into Swift).
@_silgen_name("malloc_info")
private func glibcMallocInfo(_ options: Int32, _ stream: UnsafeMutablePointer<FILE>) -> Int32
