import ArgumentParser

/// `meshtop`: a terminal console for service-mesh operators. Commands land one by one as they
/// work for real; see README.md for what exists today.
@main
struct Meshtop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshtop",
        abstract: "A terminal console for service-mesh operators (Istio, Envoy, Linkerd, MOSN).",
        subcommands: [ConsoleCommand.self, DashboardCommand.self, DemoCommand.self, SnapshotCommand.self, RecordCommand.self, HistoryCommand.self,
                      InspectCommand.self,
                      SimCommand.self, ConfigCommand.self])
}

