import Foundation
import MeshModel

/// The command palette's commands (`:svc`, `:ztunnel`, `:ns NAME`, `:at 14:02`, …): what each does.
/// The table of names and help texts is `AppState.commands`.
extension AppState {
    mutating func runCommand(_ text: String) -> [Effect] {
        let words = text.split(separator: " ").map(String.init)
        guard let command = words.first else { return [] }
        let argument = words.dropFirst().joined(separator: " ")
        switch command {
        case "overview", "ov": select(.overview)
        case "services", "svc": select(.services)
        case "routes", "vs": select(.routes)
        case "certs", "certificates": select(.certificates)
        case "proxies", "po", "ps": select(.proxies)
        case "events", "ev": select(.events)
        case "ztunnel", "zt", "ztunnels": select(.ztunnels)
        case "topo", "topology": select(.topology)
        case "help": overlay = .help
        case "loglevel", "log":
            guard OperatorAction.logLevels.contains(argument) else {
                showToast("loglevel: one of \(OperatorAction.logLevels.joined(separator: " "))", seconds: 4)
                return []
            }
            return askAction(.setLogLevel(argument))
        case "live":
            guard travel != nil else {
                showToast("already live")
                return []
            }
            returnToLive()
            return [.travel(.live)]
        case "at":
            guard historyAvailable else {
                showToast("no history store (start with --db PATH)")
                return []
            }
            guard let date = TimeSpec.instant(argument, now: now) else {
                showToast("at: not a time: \(argument) (14:02, 10m, 2026-11-26 14:02)")
                return []
            }
            return [.travel(.to(date))]
        case "quit", "q": return [.quit]
        case "ctx", "context":
            guard !argument.isEmpty else {
                showToast("ctx NAME: the kubeconfig context to poll")
                return []
            }
            showToast("connecting to context \(argument)…")
            return [.switchCluster(.context(argument))]
        case "ns":
            // The views filter at once; on a cluster the polling narrows to the namespace too.
            filter = argument == "all" || argument.isEmpty ? "" : argument
            clampSelections()
            showToast(filter.isEmpty ? "all namespaces" : "namespace \(argument)")
            return [.switchCluster(.namespace(filter.isEmpty ? nil : argument))]
        case "theme":
            guard availableThemes.isEmpty || availableThemes.contains(argument) else {
                showToast("no theme \(argument) (\(availableThemes.joined(separator: ", ")))")
                return []
            }
            themeName = argument
            return [.theme(argument)]
        default:
            showToast("unknown command :\(command)")
        }
        return []
    }
}
