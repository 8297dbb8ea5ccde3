import ArgumentParser
import Foundation
import MeshSources

/// Parser throughput against the named anchors, in one run on the same generated inputs:
/// our exposition parser vs `promtool check metrics` (50k lines), our config-dump decoder vs `jq`
/// (50 MB). Inputs come from ../shared/bench; promtool is Debian's `prometheus` package.
struct ParseBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse", abstract: "Exposition parser vs promtool, config-dump decoder vs jq.")

    @Option(help: "Lines of exposition text to generate.") var lines: Int = 50_000
    @Option(help: "Size of the generated config dump, MB.") var dumpMB: Int = 50
    @Option(help: "Runs per measurement (the median is reported).") var runs: Int = 7
    @Option(help: "Directory with gen_exposition.py and gen_config_dump.py.") var benchDirectory: String = "../shared/bench"
    @OptionGroup var output: JSONOutput

    func run() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-bench-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let exposition = work.appendingPathComponent("exposition.prom").path
        let dump = work.appendingPathComponent("config_dump.json").path
        try Self.shell(["python3", "\(benchDirectory)/gen_exposition.py", "--lines", String(lines), "--seed", "1", "-o", exposition])
        try Self.shell(["python3", "\(benchDirectory)/gen_config_dump.py", "--size-mb", String(dumpMB), "--seed", "1", "-o", dump])

        let text = Array(try Data(contentsOf: URL(fileURLWithPath: exposition)))
        var samples = 0
        let ours = try Self.median(runs) { samples = try ExpositionParser.parse(text, format: .prometheus).sampleCount }
        let promtool = try Self.median(max(3, runs / 2)) { try Self.shell(["sh", "-c", "promtool check metrics < \(exposition) > /dev/null 2>&1; true"]) }
        let megabytes = Double(text.count) / 1_000_000
        print("exposition: \(lines) lines target, \(samples) samples, \(String(format: "%.1f", megabytes)) MB")
        print(String(format: "  meshtop ExpositionParser  %8.2f ms  %7.0f MB/s", ours * 1000, megabytes / ours))
        print(String(format: "  promtool check metrics    %8.2f ms  %7.0f MB/s   (anchor)", promtool * 1000, megabytes / promtool))
        print(String(format: "  ratio: %.1fx promtool (goal >= 10x, >= 250 MB/s)", promtool / ours))
        let lineCount = Double(text.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) })
        var results = [
            BenchResult(name: "exposition parse", unit: "MB/s", value: megabytes / ours, anchor: "promtool check metrics", anchorValue: megabytes / promtool,
                        goal: ">= 10x anchor, >= 250 MB/s", met: promtool / ours >= 10 && megabytes / ours >= 250),
            BenchResult(name: "exposition parse", unit: "lines/s", value: lineCount / ours, anchor: "promtool check metrics", anchorValue: lineCount / promtool,
                        goal: ">= 10x anchor", met: promtool / ours >= 10),
        ]

        let dumpBytes = Array(try Data(contentsOf: URL(fileURLWithPath: dump)))
        var clusters = 0
        let decode = try Self.median(runs) { clusters = try ConfigDumpDecoder.decode(dumpBytes).clusters.count }
        let jqProgram = "[.configs[] | (.dynamic_active_clusters[]?.cluster.name, .dynamic_listeners[]?.name, .dynamic_route_configs[]?.route_config.name, .dynamic_active_secrets[]?.name)] | length"
        let jq = try Self.median(max(3, runs / 2)) { try Self.shell(["sh", "-c", "jq '\(jqProgram)' \(dump) > /dev/null"]) }
        let dumpMegabytes = Double(dumpBytes.count) / 1_000_000
        print("config dump: \(String(format: "%.1f", dumpMegabytes)) MB, \(clusters) clusters")
        print(String(format: "  meshtop ConfigDumpDecoder %8.2f ms  %7.0f MB/s", decode * 1000, dumpMegabytes / decode))
        print(String(format: "  jq (same fields)          %8.2f ms  %7.0f MB/s   (anchor)", jq * 1000, dumpMegabytes / jq))
        print(String(format: "  ratio: %.1fx jq (goal >= 5x)", jq / decode))
        results.append(BenchResult(name: "config dump decode", unit: "MB/s", value: dumpMegabytes / decode, anchor: "jq (same fields)",
                                   anchorValue: dumpMegabytes / jq, goal: ">= 5x anchor", met: jq / decode >= 5))
        try output.write(results)
    }

    static func median(_ runs: Int, _ body: () throws -> Void) throws -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now()
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }

    static func shell(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("\(arguments.joined(separator: " ")) failed") }
    }
}
