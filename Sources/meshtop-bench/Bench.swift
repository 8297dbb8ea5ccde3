import ArgumentParser

/// `meshtop-bench`: reproducible benchmarks that print figures. Build with `-c release`.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshtop-bench",
        abstract: "Benchmarks for meshtop (run a release build).",
        subcommands: [SuiteBench.self, SimLoadBench.self, ParseBench.self, RenderBench.self, ResponsivenessBench.self, StoreBench.self, TopologyBench.self,
                      PollBench.self, SoakBench.self],
        defaultSubcommand: SuiteBench.self)
}
