import ArgumentParser
import Foundation
import MeshModel
import MeshStore

/// The history store flags shared by `record`, `history`, `console` and `demo`.
struct HistoryOptions: ParsableArguments {
    @Option(help: "History store: a file path or :memory: (default: $XDG_STATE_HOME/meshtop/history.db).") var db: String?
    @Option(help: "Keep raw per-poll samples this long (default 24h).") var rawRetention: String?
    @Option(help: "Keep one-minute rollups, events and old config revisions this long (default 30d).") var rollupRetention: String?

    /// The store path: the flag, then the configuration file, then the default.
    func path(_ settings: MeshtopConfig, default fallback: String? = nil) -> String {
        let path = db ?? settings.database ?? fallback ?? HistoryStore.defaultPath()
        return path.hasPrefix("~/") ? NSHomeDirectory() + path.dropFirst() : path
    }

    func retention(_ settings: MeshtopConfig) throws -> Retention {
        var retention = Retention()
        for (flag, text, keyPath) in [("--raw-retention", rawRetention ?? settings.retention?["raw"], \Retention.raw),
                                      ("--rollup-retention", rollupRetention ?? settings.retention?["rollups"], \Retention.rollups)] {
            guard let text else { continue }
            guard let seconds = TimeSpec.duration(text), seconds > 0 else { throw ValidationError("\(flag) \(text): not a duration (e.g. 24h, 30d)") }
            retention[keyPath: keyPath] = seconds
        }
        return retention
    }
}

extension FileHandle {
    static func printError(_ text: String) { Console.write((text + "\n"), to: .standardError) }
}
