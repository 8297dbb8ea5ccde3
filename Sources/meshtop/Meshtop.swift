import ArgumentParser
import MeshPoller

/// `meshtop`: a terminal console for service-mesh operators. Commands land one by one as they
/// work for real; see README.md for what exists today.
@main
struct Meshtop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshtop",
        abstract: "A terminal console for service-mesh operators (Istio, Envoy, Linkerd, MOSN).",
        subcommands: [ConsoleCommand.self, DashboardCommand.self, DemoCommand.self, SnapshotCommand.self, RecordCommand.self, HistoryCommand.self,
                      InspectCommand.self,
                      SimCommand.self, ConfigCommand.self],
        // `meshtop` alone (or `kubectl meshtop` through a kubectl-meshtop link) opens the
        // console — on the current kubeconfig context when no other source is configured.
        defaultSubcommand: ConsoleCommand.self)

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
