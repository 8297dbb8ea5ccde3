import Foundation
import MeshFeed
import MeshModel
import MeshPoller
import MeshSources
import MeshStore
import MeshTerminal
import MeshUI

/// Wires a feed to the console, for `console`, `demo` and `dashboard`: the feed polls in the
/// background and posts what it publishes to the curses loop, which runs on its own thread and
/// hands every effect to one runner.
enum ConsoleSession {
    /// Everything a console or dashboard session needs.
    struct Session {
        var source: any FeedSource
        var interval: Double
        var console: ConsoleOptions
        var thresholds = HealthThresholds()
        var serviceThresholds: [String: HealthThresholds] = [:]
        var history: HistorySetting?
        /// What the transport may send besides reads (operator actions, or nothing).
        var policy: RequestPolicy = .operatorActions
        /// Connects to another kubeconfig context or namespace (`:ctx NAME`, `:ns NAME`), when
        /// polling a cluster; `scope` is what the session starts on.
        var reconnect: (@Sendable (KubeScope) async throws -> MeshPoller)?
        var scope = KubeScope()
    }

    static func run(_ session: Session) async throws {
        let inbox = Inbox()
        let history = await openHistory(session.history, thresholds: session.thresholds, post: inbox.post)
        let recorder = history?.writer.map { Recorder(writer: $0) }
        var deriver = SnapshotDeriver(thresholds: session.thresholds)
        deriver.serviceThresholds = session.serviceThresholds
        let poller = (session.source as? PollerFeedSource)?.poller
        // `:ctx NAME` replaces the source and the transport actions travel on.
        let source = SwitchableFeedSource(session.source)
        let feed = Feed(source: source, deriver: deriver, interval: session.interval, recorder: recorder)
        // Actions go through the poller's transport under the session's policy (the poller's own
        // client is read-only); without a poller, through a transport of their own.
        let actionTransport = SwitchableTransport(poller?.client.transport ?? DirectHTTPTransport(timeout: 5, tls: nil))
        let actions = OperatorActionClient(client: MeshClient(transport: actionTransport, policy: session.policy))
        var switchCluster: (@Sendable (ClusterSwitch) async -> String)?
        if let reconnect = session.reconnect {
            let scope = CurrentScope(session.scope)
            switchCluster = { @Sendable change in
                await Self.switchCluster(change, scope: scope, reconnect: reconnect, source: source, actionTransport: actionTransport)
            }
        }
        let runner = EffectRunner(feed: feed, history: history, recorder: recorder, actions: actions, switchCluster: switchCluster, post: inbox.post)
        let console = ConsoleFeed(history: history, prometheus: poller?.prometheus, post: inbox.post)
        let feeding = Task { await feed.run { await console.publish($0) } }
        Signals.onTermination { _ in inbox.requestQuit() }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                ConsoleRunner.run(options: session.console, inbox: inbox, effects: runner, historyAvailable: history != nil)
                done.resume()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        // Quit does not wait for a poll in progress: the loop is cancelled (a cut-short poll is
        // neither shown nor recorded), the transport shut down (requests in flight end now), and
        // only the writes already queued finish.
        feeding.cancel()
        await feed.shutdown()
        await feeding.value
        await runner.finish()
        if poller == nil { await actions.client.shutdown() }
    }

    /// Connects to another context or namespace; the feed and the actions follow only once it
    /// answered (the effect runner runs one switch at a time, so `scope` is not raced).
    static func switchCluster(_ change: ClusterSwitch, scope: CurrentScope, reconnect: @Sendable (KubeScope) async throws -> MeshPoller,
                              source: SwitchableFeedSource, actionTransport: SwitchableTransport) async -> String {
        var next = scope.value.withLock { $0 }
        let name: String
        switch change {
        case let .context(context):
            next.context = context
            name = "context \(context)"
        case let .namespace(namespace):
            guard namespace != next.namespace else { return namespace.map { "already polling namespace \($0)" } ?? "already polling every namespace" }
            next.namespace = namespace
            name = namespace.map { "namespace \($0): polling its proxies only" } ?? "every namespace"
        }
        do {
            let poller = try await reconnect(next)
            await source.replace(with: PollerFeedSource(poller))
            await actionTransport.replace(with: poller.client.transport, shutdownOld: false)
            scope.value.withLock { $0 = next }
            return name
        } catch {
            return "\(name): \(error) (still on the previous \(change.isContext ? "context" : "namespace"))"
        }
    }

    /// The session's history store, or nil (with the reason printed before curses takes the
    /// screen) when it cannot be opened: the console still works without history.
    static func openHistory(_ setting: HistorySetting?, thresholds: HealthThresholds, post: @escaping @Sendable (AppEvent) -> Void) async -> HistorySession? {
        guard let setting else { return nil }
        do {
            let history = try await HistorySession.open(setting, thresholds: thresholds, post: post)
            await history.loadEvents()
            return history
        } catch {
            FileHandle.printError("meshtop: running without history: \(error)")
            try? await Task.sleep(nanoseconds: 1_500_000_000)
            return nil
        }
    }

    /// Themes from `$MESHTOP_THEMES`, next to the binary, the working directory, or the source tree.
    static func loadThemes() throws -> [String: Theme] {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        var candidates: [URL] = []
        if let path = ProcessInfo.processInfo.environment["MESHTOP_THEMES"] { candidates.append(URL(fileURLWithPath: path)) }
        candidates += [executable.appendingPathComponent("../share/meshtop/Themes"), URL(fileURLWithPath: "Themes"),
                       URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Themes")]
        for directory in candidates where FileManager.default.fileExists(atPath: directory.appendingPathComponent("default.yaml").path) {
            return try Theme.loadAll(directory: directory)
        }
        throw SourceError(source: "themes", reason: .unreadable("no Themes/ directory found (set MESHTOP_THEMES)"))
    }
}
