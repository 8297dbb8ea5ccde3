import Foundation
import MeshTestSupport
import MeshModel
import Testing
@testable import MeshStore

/// SQLite work runs on the store's own queues: writes blocked on a locked file hold no thread of
/// the Swift concurrency pool (two on this machine), so other tasks keep running.
@Suite("Store queues", .timingSensitive)
struct StoreQueueTests {
    @Test("Two writers blocked on locked files leave the concurrency pool free; their writes land once the locks go")
    func blockedWritesLeaveThePoolFree() async throws {
        let paths = (0..<2).map { _ in StoreFixture.temporaryPath("locked.db") }
        // Writes wait up to a minute for their locks.
        let stores = try paths.map { try HistoryStore(path: $0, busyTimeout: 60) }
        let writers = try stores.map { try $0.writer() }
        // A second connection per file holds its write lock, as another process would.
        let lockers = try paths.map { try ExclusiveLock(path: $0) }
        let writes = writers.map { writer in Task { try await writer.record(StoreFixture.snapshot(at: 0)) } }
        try await Task.sleep(nanoseconds: 300_000_000) // both writes are waiting on their locks now
        // With the writes on the pool, both of its threads would sit in SQLite's busy wait for
        // the minute and this task could not start before; a loaded machine delays it seconds.
        let started = Date()
        let probe = await Task.detached { Date() }.value
        #expect(probe.timeIntervalSince(started) < 30, "a task waited \(probe.timeIntervalSince(started)) s for a thread")
        for locker in lockers { locker.release() }
        for write in writes { _ = try await write.value }
        for store in stores { #expect(try store.reader.pollCount() == 1) }
    }
}
