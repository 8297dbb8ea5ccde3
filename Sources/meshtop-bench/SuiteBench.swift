import ArgumentParser
import Foundation

/// The whole suite (the default command): every benchmark in its own process (so each one's
/// memory is its own), their figures next to their anchors in one table, and with `--json` one
/// JSON array. `--quick` runs smaller sizes in under two minutes; the full run takes ~25 min.
struct SuiteBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "suite", abstract: "Run every benchmark; print a table of figures, anchors and goals.")

    @Flag(help: "Smaller sizes, under two minutes.") var quick = false
    @Option(help: "Directory with the input generators.") var benchDirectory: String = "../shared/bench"
    @OptionGroup var output: JSONOutput

    func run() async throws {
        let full: [[String]] = [
            ["parse", "--bench-directory", benchDirectory],
            ["render", "--services", "2000", "--proxies", "5000"],
            ["topology", "--services", "2000", "--runs", "3"],
            ["store", "--hours", "1"],
            // 30 cycles (2.5 min): memory grows until the counter history spans its windows;
            // 4 cycles once showed 314 MB where 30 showed 562 MB.
            ["poll", "--proxies", "1000", "--polls", "30"],
            ["poll", "--proxies", "5000", "--polls", "6", "--admin-address-base", "127.0.140.1"],
            ["soak", "--mesh-duration", "3600"],
            // The same hour without the history store: what grows besides SQLite's page cache.
            ["soak", "--mesh-duration", "3600", "--no-store"],
            ["kube", "--pods", "5000", "--press-seconds", "30"],
        ]
        let short: [[String]] = [
            ["parse", "--bench-directory", benchDirectory, "--lines", "20000", "--dump-mb", "10", "--runs", "3"],
            ["render", "--services", "2000", "--frames", "50"],
            ["topology", "--services", "2000", "--runs", "1"],
            ["store", "--hours", "0.05"],
            ["poll", "--proxies", "1000", "--polls", "2"],
            ["soak", "--mesh-duration", "600", "--proxies", "50"],
            ["kube", "--pods", "1000", "--press-seconds", "8", "--reads", "50", "--runs", "1"],
        ]
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-suite-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        var results: [BenchResult] = []
        let started = Date()
        for (index, arguments) in (quick ? short : full).enumerated() {
            let file = work.appendingPathComponent("\(index).json").path
            // Unbuffered, so the header comes before the child's own output.
            FileHandle.standardOutput.write(Data("== meshtop-bench \(arguments.joined(separator: " "))\n".utf8))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments + ["--json", file]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0, let data = FileManager.default.contents(atPath: file) else {
                results.append(BenchResult(name: arguments.joined(separator: " "), unit: "", value: 0, anchor: "the benchmark failed", anchorValue: nil,
                                           goal: "runs", met: false))
                continue
            }
            results += try JSONDecoder().decode([BenchResult].self, from: data)
        }
        print("\n" + BenchTable.render(results))
        print(String(format: "\n%d figures, %d meet their goal, %.0f s", results.count, results.filter(\.met).count, Date().timeIntervalSince(started)))
        try output.write(results)
    }
}
