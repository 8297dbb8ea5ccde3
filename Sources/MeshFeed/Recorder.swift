import Foundation
import MeshModel
import MeshStore

/// Writes snapshots to the history store in the order they come, behind the feed: the feed hands
/// a snapshot over and goes on polling, and the writes run on the writer's own queue. A slow disk
/// delays writes, never polls. If writes fall `capacity` snapshots behind, the oldest waiting one
/// is dropped and that is reported (a gap in history, never a stalled console).
public actor Recorder {
    public let writer: HistoryWriter
    let capacity: Int
    private var waiting: [MeshSnapshot] = []
    private var worker: Task<Void, Never>?
    private var dropped = 0
    private var publish: (@Sendable (FeedEvent) async -> Void)?

    public init(writer: HistoryWriter, capacity: Int = 16) {
        self.writer = writer
        self.capacity = capacity
    }

    /// Queues `snapshot`; its outcome is published as `.recorded` or `.recordFailed`.
    func enqueue(_ snapshot: MeshSnapshot, publish: @escaping @Sendable (FeedEvent) async -> Void) {
        self.publish = publish
        waiting.append(snapshot)
        if waiting.count > capacity {
            waiting.removeFirst()
            dropped += 1
        }
        if worker == nil { worker = Task { await work() } }
    }

    /// Stores an event that happened outside a poll (an operator action).
    public func record(event: MeshEvent) async {
        try? await writer.record(event: event)
    }

    /// Returns once every queued snapshot is written, or after `limit`: the write in progress
    /// then ends on its own (SQLite cannot be interrupted safely) and the snapshots still waiting
    /// are dropped and reported.
    public func drain(within limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while let worker {
            let timer = Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                if !Task.isCancelled { await self.giveUp() }
            }
            await worker.value
            timer.cancel()
            if self.worker == worker { self.worker = nil }
        }
    }

    /// The drain's time is up: nothing more is taken from the queue.
    private func giveUp() {
        dropped += waiting.count
        waiting.removeAll()
    }

    private func reportDrops() async {
        guard dropped > 0, let publish else { return }
        let count = dropped
        dropped = 0
        await publish(.recordsDropped(count))
    }

    /// Writes until nothing waits and every drop is reported; `worker` is cleared with no
    /// suspension after the last check, so a snapshot queued meanwhile always finds a worker.
    private func work() async {
        while true {
            if !waiting.isEmpty {
                let snapshot = waiting.removeFirst()
                let event: FeedEvent
                do {
                    event = .recorded(try await writer.record(snapshot), snapshot)
                } catch {
                    event = .recordFailed("\(error)")
                }
                await publish?(event)
            } else if dropped > 0 {
                await reportDrops()
            } else {
                break
            }
            if dropped > 0 { await reportDrops() }
        }
        worker = nil
    }
}
