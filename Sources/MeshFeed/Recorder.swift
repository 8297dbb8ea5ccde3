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

    /// Returns once every queued snapshot is written (SIGTERM: finish the writes, then exit).
    public func drain() async {
        while let worker {
            await worker.value
            if self.worker == worker { self.worker = nil }
        }
    }

    /// How many snapshots wait to be written.
    public var backlog: Int { waiting.count }

    private func work() async {
        while !waiting.isEmpty {
            let snapshot = waiting.removeFirst()
            let event: FeedEvent
            do {
                event = .recorded(try await writer.record(snapshot), snapshot)
            } catch {
                event = .recordFailed("\(error)")
            }
            await publish?(event)
            if dropped > 0 {
                let count = dropped
                dropped = 0
                await publish?(.recordFailed("\(count) poll\(count == 1 ? "" : "s") not written: the history store is slower than the polls"))
            }
        }
        worker = nil
    }
}
