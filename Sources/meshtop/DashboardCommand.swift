import ArgumentParser
import Foundation
import MeshFeed
import MeshModel
import MeshPoller
import MeshSources
import MeshStore

/// `meshtop dashboard`: the read-only wall display. Read-only by construction: the session's
/// HTTP policy sends GET and HEAD only, operator keys are not accepted, and with `--from-db` it
/// sends no request to the mesh at all.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Read-only wall display: navigation and quit only, --rotate, a four-panel layout at 160×48 and larger, --from-db.")

    @OptionGroup var sources: SourceOptions
    @Option(help: "Render the newest poll of a history store that `meshtop record` writes (no request to the mesh).") var fromDb: String?
    @Option(help: "Cycle the views this often, e.g. 15s (single-view layout).") var rotate: String?
    @OptionGroup var look: LookOptions
    @OptionGroup var history: HistoryOptions

    func validate() throws {
        if let rotate { guard let seconds = TimeSpec.duration(rotate), seconds >= 1 else { throw ValidationError("--rotate \(rotate): a duration of 1s or more") } }
        if fromDb != nil, history.db != nil { throw ValidationError("--from-db already names the store; leave out --db") }
    }

    func run() async throws {
        let settings = try look.settings()
        var console = try look.console(settings, readOnly: true)
        console.dashboard = true
        console.rotateEvery = rotate.flatMap(TimeSpec.duration)
        let feedSource: any FeedSource
        let historySetting: HistorySetting
        if let fromDb {
            let reader: HistoryReader
            do { reader = try HistoryStore(path: fromDb, readOnly: true).reader } catch {
                FileHandle.printError("meshtop dashboard: \(error)")
                throw ExitCode(3)
            }
            feedSource = StoreFeedSource(reader: reader, path: fromDb, thresholds: settings.healthThresholds)
            historySetting = HistorySetting(path: fromDb, retention: Retention(), readOnly: true)
        } else {
            do { feedSource = PollerFeedSource(try await sources.makePoller(settings)) } catch let error as UsageError {
                throw ValidationError(error.message + ", or --from-db PATH")
            }
            historySetting = HistorySetting(path: history.path(settings), retention: try history.retention(settings))
        }
        try await ConsoleSession.run(ConsoleSession.Session(
            source: feedSource, interval: look.refreshInterval(settings), console: console, thresholds: settings.healthThresholds,
            serviceThresholds: settings.serviceThresholds, history: historySetting, policy: .readOnly))
    }
}
