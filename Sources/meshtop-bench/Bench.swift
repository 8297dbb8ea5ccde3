import ArgumentParser
import MeshPoller

/// `meshtop-bench`: reproducible benchmarks that print figures. Build with `-c release`.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshtop-bench",
        abstract: "Benchmarks for meshtop (run a release build).",
        subcommands: [SuiteBench.self, SimLoadBench.self, ParseBench.self, RenderBench.self, ResponsivenessBench.self, StoreBench.self, TopologyBench.self,
                      PollBench.self, SoakBench.self, KubeBench.self, AmbientBench.self],
        defaultSubcommand: SuiteBench.self)

    /// glibc's allocator tuned for polling before anything runs (`AllocatorTuning`).
    static func main() async {
        AllocatorTuning.apply()
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
