import Foundation
import MeshModel
import MeshSources
import MeshUI

/// Carries out what the console's state machine asks, in the order it asks: the terminal's own
/// effects at once (on the terminal's thread), every other one after the one before it on one
/// serial worker, so `[` pressed twice steps twice and an action's result comes before the next
/// poll. The one place effects are run.
public final class EffectRunner: EffectRunning {
    let feed: Feed
    let history: HistorySession?
    let recorder: Recorder?
    let actions: OperatorActionClient
    let post: @Sendable (AppEvent) -> Void
    /// Connects to another kubeconfig context or namespace and says how it went (nil: not on a cluster).
    let switchCluster: (@Sendable (ClusterSwitch) async -> String)?
    private let jobs: AsyncStream<@Sendable () async -> Void>.Continuation
    private let worker: Task<Void, Never>

    public init(feed: Feed, history: HistorySession?, recorder: Recorder?, actions: OperatorActionClient,
                switchCluster: (@Sendable (ClusterSwitch) async -> String)? = nil, post: @escaping @Sendable (AppEvent) -> Void) {
        self.feed = feed
        self.switchCluster = switchCluster
        self.history = history
        self.recorder = recorder
        self.actions = actions
        self.post = post
        let (stream, continuation) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
        jobs = continuation
        worker = Task {
            for await job in stream { await job() }
        }
    }

    public func run(_ effect: Effect, terminal: any TerminalEffects) -> Bool {
        switch effect {
        case .quit:
            return false
        case let .copy(text):
            terminal.copyToClipboard(text)
        case let .theme(name):
            terminal.applyTheme(named: name)
        case .refresh:
            enqueue { [feed] in await feed.refresh() }
        case let .pause(paused):
            enqueue { [feed] in await feed.setPaused(paused) }
        case let .confirmed(action):
            enqueue { [actions, post, recorder, feed] in
                // The session's policy decides at the transport seam; the outcome is an event.
                let event = await actions.perform(action)
                post(.actionResult(event))
                await recorder?.record(event: event)
                await feed.refresh() // poll at once: the action's effect shows up
            }
        case let .travel(request):
            enqueue { [history, post] in
                guard let history else { return post(.history(.unavailable("no history store"))) }
                await history.travel(request)
            }
        case let .loadCharts(service, range):
            enqueue { [history] in await history?.loadCharts(service: service, range: range) }
        case let .switchCluster(change):
            enqueue { [switchCluster, post, feed] in
                guard let switchCluster else {
                    // Off a cluster `:ns` only filters the views; `:ctx` has nothing to switch.
                    if case .context = change { post(.notice("not polling a cluster: start with --kubeconfig or --context")) }
                    return
                }
                post(.notice(await switchCluster(change)))
                await feed.refresh()
            }
        }
        return true
    }

    private func enqueue(_ job: @escaping @Sendable () async -> Void) { jobs.yield(job) }

    /// Runs what is queued, then stops the worker.
    public func finish() async {
        jobs.finish()
        await worker.value
    }
}
