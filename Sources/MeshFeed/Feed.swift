import Foundation
import MeshModel
import MeshPoller
import MeshSources

/// The loop every mode runs: poll (or read) → derive → publish → record, on one timing policy
/// (`PollTimer`), with one rule for the first poll (only a baseline, never recorded), pause and
/// refresh. The console, the dashboard, `record` and `snapshot` differ only in what they do with
/// what it publishes.
public actor Feed {
    let source: any FeedSource
    private var deriver: SnapshotDeriver
    private var timer: PollTimer
    let recorder: Recorder?
    private var baselineTaken = false
    private var stopping = false
    private var wake: CheckedContinuation<Void, Never>?
    private var wakePending = false
    private var alarm: Task<Void, Never>?
    /// Times the loop waited between polls (tests tell a rhythm from back-to-back polls by it).
    private(set) var waits = 0

    public init(source: any FeedSource, deriver: SnapshotDeriver, interval: TimeInterval, recorder: Recorder? = nil,
                drainLimit: TimeInterval = 20) {
        self.source = source
        self.drainLimit = drainLimit
        self.deriver = deriver
        timer = PollTimer(interval: interval)
        self.recorder = recorder
    }

    /// How long the queued writes may take at the end (SIGTERM, quit); what is still waiting
    /// then is dropped and reported. A service manager stops a process after ~90 s.
    let drainLimit: TimeInterval

    /// Runs until `stop()` or until the task is cancelled, publishing in order; then finishes the
    /// queued writes (for at most `drainLimit`). One run per feed.
    public func run(_ publish: @escaping @Sendable (FeedEvent) async -> Void) async {
        while !stopping, !Task.isCancelled {
            let now = ContinuousClock.now
            switch timer.next {
            case .paused:
                await sleep(until: nil) // until unpaused, refreshed or stopped
                continue
            case let .at(due) where due > now:
                waits += 1
                await sleep(until: due)
                continue
            case .at, .now:
                timer.started(at: now)
            }
            guard let event = await cycle() else { continue }
            // A cycle cut short by cancellation (quit) is neither shown nor recorded: its
            // failures are ours, not the mesh's.
            if Task.isCancelled { break }
            await publish(event)
            if case let .snapshot(snapshot, baseline: false) = event { await recorder?.enqueue(snapshot, publish: publish) }
        }
        await recorder?.drain(within: .seconds(drainLimit))
    }

    /// The events as a stream; ending the iteration (break) cancels the loop.
    public nonisolated func events() -> AsyncStream<FeedEvent> {
        AsyncStream { continuation in
            let task = Task {
                await self.run { continuation.yield($0) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// One cycle: read the source, derive, and tell whether it was the baseline.
    private func cycle() async -> FeedEvent? {
        // Another cluster from now on: its first poll is a baseline of its own.
        if let switchable = source as? SwitchableFeedSource, switchable.takeFreshness() { baselineTaken = false }
        let snapshot: MeshSnapshot
        switch await source.read() {
        case let .round(round): snapshot = deriver.derive(round)
        case let .snapshot(stored): snapshot = stored
        case .nothingNew: return nil
        case let .failed(error): return .failed(error)
        }
        let baseline = source.firstIsBaseline && !baselineTaken
        baselineTaken = true
        return .snapshot(snapshot, baseline: baseline)
    }

    public func setPaused(_ paused: Bool) {
        timer.setPaused(paused)
        wakeUp()
    }

    /// Polls at once (after a poll in progress).
    public func refresh() {
        timer.refresh()
        wakeUp()
    }

    /// Ends the loop after the poll in progress; queued writes still finish.
    public func stop() {
        stopping = true
        wakeUp()
    }

    public func shutdown() async { await source.shutdown() }

    /// Waits until `instant` (nil: until woken), or until woken by pause, refresh, stop or
    /// cancellation.
    private func sleep(until instant: ContinuousClock.Instant?) async {
        if wakePending {
            wakePending = false
            return
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                wake = continuation
                if let instant {
                    alarm = Task { [weak self] in
                        try? await Task.sleep(until: instant, clock: .continuous)
                        guard !Task.isCancelled else { return }
                        await self?.wakeUp()
                    }
                }
            }
        } onCancel: {
            Task { await self.wakeUp() }
        }
        alarm?.cancel()
        alarm = nil
    }

    private func wakeUp() {
        guard let wake else {
            wakePending = true
            return
        }
        self.wake = nil
        wake.resume()
    }
}
