import Foundation
@testable import MeshFeed
import MeshModel
import MeshPoller
import MeshSources
import MeshStore
import MeshTestSupport
import Testing

/// The feed's one timing policy, its baseline rule, pause, refresh and stop, against a scripted
/// source; and a history store that is slow to write, which must not delay polls.
@Suite("Feed", .timingSensitive)
struct FeedTests {
    @Test("Polls start `interval` apart (start to start) and never overlap; the first is only a baseline")
    func rhythm() async throws {
        let source = ScriptedSource(duration: 0.1)
        let feed = Feed(source: source, deriver: SnapshotDeriver(), interval: 0.4)
        let published = Published()
        let run = Task { await feed.run { published.append($0) } }
        #expect(await eventually(timeout: 60) { published.snapshots.count >= 5 })
        await feed.stop()
        await run.value
        let starts = await source.starts
        for (earlier, later) in zip(starts, starts.dropFirst()) {
            // Never sooner than the interval after the previous start (sleep is never early).
            #expect(later.timeIntervalSince(earlier) >= 0.39, "\(later.timeIntervalSince(earlier)) s between starts")
        }
        #expect(await source.mostInFlight == 1)
        let snapshots = published.snapshots
        #expect(snapshots.first?.baseline == true && snapshots.dropFirst().allSatisfy { !$0.baseline })
    }

    @Test("A poll that overruns its interval is followed at once, not an interval after it ended")
    func overrun() async throws {
        let source = ScriptedSource(duration: 0.3)
        let feed = Feed(source: source, deriver: SnapshotDeriver(), interval: 0.2)
        let run = Task { await feed.run { _ in } }
        #expect(await eventually(timeout: 60) { await source.starts.count >= 4 })
        await feed.stop()
        await run.value
        // Every poll was due before the previous one ended: the loop never waited (a loaded
        // machine only makes polls later, never sooner, so this does not depend on timing).
        #expect(await feed.waits == 0)
        let (starts, ends) = (await source.starts, await source.ends)
        for index in 1..<min(starts.count, ends.count + 1) {
            #expect(starts[index] >= ends[index - 1], "a poll started before the previous one ended")
        }
        #expect(await source.mostInFlight == 1)
    }

    @Test("Pause stops polling until unpaused; refresh polls at once")
    func pauseAndRefresh() async throws {
        let source = ScriptedSource(duration: 0)
        let feed = Feed(source: source, deriver: SnapshotDeriver(), interval: 3600)
        let published = Published()
        let run = Task { await feed.run { published.append($0) } }
        #expect(await eventually(timeout: 60) { published.snapshots.count == 1 })
        await feed.refresh()
        #expect(await eventually(timeout: 60) { published.snapshots.count == 2 }, "refresh polls at once, not in an hour")
        await feed.setPaused(true)
        await feed.refresh()
        try await Task.sleep(nanoseconds: 300_000_000)
        #expect(published.snapshots.count == 2, "no poll while paused")
        await feed.setPaused(false)
        #expect(await eventually(timeout: 60) { published.snapshots.count == 3 }, "unpausing polls at once (the refresh asked while paused)")
        await feed.stop()
        await run.value
    }

    @Test("A capture directory has no baseline: its first read is a snapshot like the others")
    func directoryHasNoBaseline() async throws {
        let source = ScriptedSource(duration: 0, firstIsBaseline: false)
        let feed = Feed(source: source, deriver: SnapshotDeriver(), interval: 0.05)
        var iterator = feed.events().makeAsyncIterator()
        guard case let .snapshot(_, baseline) = await iterator.next() else {
            Issue.record("no snapshot")
            return
        }
        #expect(!baseline)
    }

    @Test("A history store that is slow to write (locked by another process) delays no poll; every poll after the baseline is written once it frees")
    func slowDiskDelaysNoPoll() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-feed-\(UUID().uuidString).db").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        // Writes wait up to a minute for the lock: a feed that waited for its writes would stay at
        // its second poll for that long, far past what a loaded machine delays polls.
        let store = try HistoryStore(path: path, busyTimeout: 60)
        let writer = try store.writer()
        let lock = try ExclusiveLock(path: path)
        let locked = Date()
        let feed = Feed(source: ScriptedSource(duration: 0.01), deriver: SnapshotDeriver(), interval: 0.25, recorder: Recorder(writer: writer))
        let published = Published()
        let run = Task { await feed.run { published.append($0) } }
        #expect(await eventually(timeout: 40) { published.snapshots.count >= 6 }, "polls go on while the write waits for the lock")
        #expect(published.recorded == 0 && Date().timeIntervalSince(locked) < 55, "the writes were still waiting for the lock")
        lock.release()
        #expect(await eventually(timeout: 60) { published.recorded >= published.snapshots.count - 1 })
        await feed.stop()
        await run.value
        let snapshots = published.snapshots.count
        #expect(published.recorded == snapshots - 1, "\(published.recorded) written of \(snapshots) snapshots (the first is the baseline)")
        #expect(try store.reader.pollCount() == snapshots - 1)
    }

    @Test("A poll cut short by quitting (the loop cancelled) is neither shown nor recorded")
    func cancelledCycleIsDropped() async throws {
        let source = ScriptedSource(duration: 1)
        let feed = Feed(source: source, deriver: SnapshotDeriver(), interval: 60)
        let published = Published()
        let run = Task { await feed.run { published.append($0) } }
        #expect(await eventually(timeout: 60) { await source.starts.count == 1 })
        run.cancel()
        await run.value
        #expect(published.all.isEmpty, "\(published.all.count) events from a cancelled poll")
    }

    @Test("At the end, writes still waiting after the drain limit are dropped and reported; the one in progress ends on its own")
    func drainLimit() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-drain-\(UUID().uuidString).db").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try HistoryStore(path: path, busyTimeout: 3)
        let lock = try ExclusiveLock(path: path)
        defer { lock.release() }
        let feed = Feed(source: ScriptedSource(duration: 0.01), deriver: SnapshotDeriver(), interval: 0.1, recorder: Recorder(writer: try store.writer()),
                        drainLimit: 0.5)
        let published = Published()
        let run = Task { await feed.run { published.append($0) } }
        #expect(await eventually(timeout: 60) { published.snapshots.count >= 5 })
        await feed.stop()
        await run.value
        let snapshots = published.snapshots.count - 1 // the baseline is never written
        let dropped = published.all.reduce(0) { if case let .recordsDropped(count) = $1 { $0 + count } else { $0 } }
        let failed = published.all.filter { if case .recordFailed = $0 { true } else { false } }.count
        #expect(published.recorded == 0 && dropped > 0, "\(dropped) dropped")
        #expect(dropped + failed == snapshots, "\(dropped) dropped and \(failed) failed of \(snapshots) snapshots to write")
    }
}
