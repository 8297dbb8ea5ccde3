import Foundation
import GRDB
import MeshModel
import Testing
@testable import MeshStore

@Suite("History store")
struct StoreTests {
    @Test("Migrations from empty reach the latest schema; the file is WAL, synchronous=NORMAL, mode 0600")
    func migrationsFromEmpty() throws {
        let path = StoreFixture.temporaryPath("history.db")
        let store = try HistoryStore(path: path)
        #expect(try store.appliedMigrations() == ["v1-raw", "v2-rollups"])
        let (journal, synchronous, tables) = try store.database.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"))
        }
        #expect(journal == "wal")
        #expect(synchronous == 1) // NORMAL
        for table in ["polls", "names", "service_samples", "edge_samples", "states", "config_texts", "config_revisions", "events",
                      "service_minutes", "edge_minutes", "store_meta"] {
            #expect(tables.contains(table), "missing table \(table)")
        }
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("Migration from the previous version (v1) keeps raw samples and rolls up the complete minutes")
    func migrationFromPrevious() throws {
        let path = StoreFixture.temporaryPath("old.db")
        let queue = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(queue, upTo: "v1-raw")
        try queue.write { db in
            try db.execute(sql: "INSERT INTO names(id, kind, name) VALUES (1, 'service', 'default/reviews')")
            for index in 0..<90 { // 3 minutes at 2 s
                let at = StoreFixture.start.timeIntervalSince1970 + Double(index * 2)
                try db.execute(sql: "INSERT INTO polls(id, at, services, proxies, sources_failing) VALUES (?, ?, 1, 0, 0)", arguments: [index + 1, at])
                try db.execute(sql: "INSERT INTO service_samples(poll, service, rps_milli, err5xx_ppm, p99_us, health) VALUES (?, 1, ?, 0, 50000, 0)",
                               arguments: [index + 1, (index / 30 + 1) * 10_000])
            }
        }
        try queue.close()
        let store = try HistoryStore(path: path)
        #expect(try store.appliedMigrations() == ["v1-raw", "v2-rollups"])
        let minutes = try store.reader.series(service: "default/reviews", from: StoreFixture.start, to: StoreFixture.start.addingTimeInterval(179),
                                              resolution: .minute)
        #expect(minutes.map(\.traffic.rps) == [10, 20, 30])
        #expect(minutes.map(\.samples) == [30, 30, 30])
        let raw = try store.reader.series(service: "default/reviews", from: StoreFixture.start, to: StoreFixture.start.addingTimeInterval(200), resolution: .raw)
        #expect(raw.count == 90)
        // The rollups of the first two minutes were made by the migration (the last one is read from raw samples).
        let rolled = try store.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM service_minutes") }
        #expect(rolled == 2)
    }

    @Test("A stored poll reads back as the snapshot it was, with clock-dependent health re-evaluated")
    func roundTrip() async throws {
        let store = try HistoryStore(path: ":memory:")
        let writer = try store.writer()
        let original = StoreFixture.snapshot(at: 10, errors: 0.02)
        let written = try await writer.record(original)
        #expect(written.samples == 3)
        let poll = try #require(try store.reader.latestPoll())
        let stored = try store.reader.snapshot(at: poll)
        #expect(stored.generatedAt == original.generatedAt)
        #expect(stored.services.map(\.id) == original.services.map(\.id))
        let reviews = try #require(stored.services.first { $0.name == "reviews" })
        let source = original.services.first { $0.name == "reviews" }!
        #expect(reviews.traffic.rps == 40)
        #expect(abs((reviews.traffic.latencyMs.p99 ?? 0) - 98.765) < 0.001)
        #expect(reviews.health == source.health)
        #expect(reviews.hostname == source.hostname && reviews.versions == source.versions)
        #expect(stored.edges == original.edges)
        #expect(stored.proxies == original.proxies)
        #expect(stored.certificates == original.certificates)
        #expect(stored.workloads == original.workloads)
        #expect(stored.routes == original.routes)
        #expect(stored.destinationPolicies == original.destinationPolicies)
        #expect(Set(stored.findings) == Set(original.findings))
        #expect(stored.sources.map(\.name) == ["istiod"])
    }

    @Test("Unchanged entities keep one state row; changes open a new interval; time travel shows each poll's state")
    func stateIntervals() async throws {
        let store = try HistoryStore(path: ":memory:")
        let writer = try store.writer()
        for index in 0..<10 { try await writer.record(StoreFixture.snapshot(at: Double(index * 2), staleSince: index >= 5 ? 8 : nil)) }
        let proxyRows = try await store.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM states WHERE kind = 'proxy'") }
        #expect(proxyRows == 2) // synced until poll 5, stale from poll 6 (uptime moving is not a change)
        let polls = try (1...10).map { id in try #require(try store.reader.poll(after: Int64(id - 1))) }
        let early = try store.reader.snapshot(at: polls[2])
        let late = try store.reader.snapshot(at: polls[9])
        #expect(early.proxies[0].sync[.cds]?.status == .synced)
        #expect(late.proxies[0].sync[.cds]?.status == .stale)
        #expect(late.proxies[0].uptimeSeconds == 118) // 100 + 18 s, advanced from the interval's start
        // Health of a stale proxy depends on the clock: 10 s stale at poll 10 is not yet degraded.
        #expect(late.proxies[0].health.health == .healthy)
    }

    @Test("Config changes store the text once per hash, a revision per change, and the diff between any two instants")
    func configRevisions() async throws {
        let store = try HistoryStore(path: ":memory:")
        let writer = try store.writer()
        var previous: MeshSnapshot?
        for index in 0..<6 {
            var snapshot = StoreFixture.snapshot(at: Double(index * 2), weights: index < 3 ? (80, 20) : (50, 50))
            snapshot.events = EventDeriver.events(from: previous, to: snapshot)
            try await writer.record(snapshot)
            previous = snapshot
        }
        let reader = store.reader
        let revisions = try reader.configRevisions(from: .distantPast, to: .distantFuture)
        #expect(revisions.count == 2)
        #expect(revisions[1].previousHash == "h80-20" && revisions[1].hash == "h50-50")
        let texts = try await store.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM config_texts") }
        #expect(texts == 2)
        let old = try #require(try reader.config(kind: "virtualservice", namespace: "default", name: "reviews", at: StoreFixture.start.addingTimeInterval(3)))
        let new = try #require(try reader.config(kind: "VirtualService", namespace: "default", name: "reviews", at: StoreFixture.start.addingTimeInterval(11)))
        let diff = UnifiedDiff.make(old: old.text, new: new.text)
        #expect(diff.contains("-      weight: 80") && diff.contains("+      weight: 50"))
        let events = try reader.events(from: .distantPast, to: .distantFuture)
        let change = try #require(events.first { $0.kind == .config })
        #expect(change.subject == "VirtualService default/reviews" && change.diff?.contains("+      weight: 50") == true)
    }

    @Test("Rollups: minute averages and the worst health; a 24 h series comes from them")
    func rollups() async throws {
        let store = try HistoryStore(path: ":memory:")
        let writer = try store.writer()
        // 3 minutes at 2 s: rps 10, 20, 30; one degraded sample in the second minute.
        for index in 0..<91 {
            try await writer.record(StoreFixture.snapshot(at: Double(index * 2), rps: Double(index / 30 + 1) * 10, errors: index == 40 ? 0.5 : 0))
        }
        let points = try store.reader.series(service: "default/reviews", from: StoreFixture.start, to: StoreFixture.start.addingTimeInterval(180),
                                             resolution: .minute)
        #expect(points.map(\.traffic.rps) == [10, 20, 30, 40])
        #expect(points[1].health.health == .degraded && points[0].health.health == .healthy)
        let trends = try store.reader.trends(minutes: 10, endingAt: StoreFixture.start.addingTimeInterval(180))
        #expect(trends["default/reviews"] == [10, 20, 30, 40])
    }

    @Test("Retention deletes raw polls past the window a slice per poll, and keeps the rollups")
    func retention() async throws {
        let store = try HistoryStore(path: ":memory:")
        let writer = try store.writer(retention: Retention(raw: 120, rollups: 86400))
        for index in 0..<300 { try await writer.record(StoreFixture.snapshot(at: Double(index * 2))) }
        let reader = store.reader
        let oldest = try #require(try reader.oldestPoll())
        // 600 s recorded, 120 s kept: a few extra polls may wait for the next slices.
        #expect(oldest.at >= StoreFixture.start.addingTimeInterval(598 - 120 - Double(RetentionStep.rawPollsPerStep * 2)))
        #expect(try reader.pollCount() <= 61 + RetentionStep.rawPollsPerStep)
        let minutes = try reader.series(service: "default/reviews", from: StoreFixture.start, to: StoreFixture.start.addingTimeInterval(600), resolution: .minute)
        #expect(minutes.count == 10)
        let states = try await store.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM states WHERE until_poll IS NOT NULL") }
        #expect(states == 0)
    }

    @Test("The writer's page cache holds about a minute of writes, not the whole file; readers keep SQLite's default cache")
    func pageCacheBounded() async throws {
        let path = StoreFixture.temporaryPath("cache.db")
        let store = try HistoryStore(path: path)
        let writer = try store.writer()
        // 200 services, a poll every 2 s for 12 minutes: the file grows by ~1 MB a minute.
        let template = StoreFixture.snapshot(at: 0)
        var cacheByMinute: [Int: Int] = [:]
        for index in 0..<360 {
            var snapshot = StoreFixture.snapshot(at: Double(index * 2), rps: Double(index % 50))
            snapshot.services = (0..<200).map { number in
                var service = template.services[0]
                service.name = "service-\(number)"
                service.traffic.rps = Double(index + number)
                return service
            }
            try await writer.record(snapshot)
            let minute = index / 30
            cacheByMinute[minute] = max(cacheByMinute[minute] ?? 0, try await writer.pageCacheBytes())
        }
        let early = try #require(cacheByMinute[2]), late = try #require(cacheByMinute[11])
        let fileBytes = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            + (try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0)
        // Without the release after each rollup the cache follows the file (×4 from minute 2 to 11).
        #expect(Double(late) < Double(early) * 1.3, "writer cache \(early) bytes in minute 2, \(late) in minute 11 (file \(fileBytes) bytes)")
        #expect(late < fileBytes / 2, "writer cache \(late) bytes for a file of \(fileBytes)")
        let readerCache = try await store.database.read { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") }
        let writerCache = try await store.database.write { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") }
        #expect(readerCache == -2000)
        #expect(writerCache == -65536)
    }

    @Test("A reader and a writer on one file at once: every read sees a consistent, growing store")
    func readerAndWriter() async throws {
        let path = StoreFixture.temporaryPath("shared.db")
        let store = try HistoryStore(path: path)
        let writer = try store.writer()
        try await writer.record(StoreFixture.snapshot(at: 0))
        let readerStore = try HistoryStore(path: path, readOnly: true)
        let firstRead = AsyncStream<Void>.makeStream()
        let reads = Task.detached { () throws -> Int in
            var last: Int64 = 0, reads = 0
            while last < 151 {
                let poll = try #require(try readerStore.reader.latestPoll())
                #expect(poll.id >= last)
                let snapshot = try readerStore.reader.snapshot(at: poll)
                let reviews = try #require(snapshot.services.first { $0.name == "reviews" })
                // Each poll's sample was written with rps = its index: a torn read would mismatch.
                #expect(poll.id == 1 || reviews.traffic.rps == Double(poll.id - 1))
                last = poll.id
                reads += 1
                if reads == 1 { firstRead.continuation.finish() }
            }
            return reads
        }
        // The writer starts once the reader is reading, so the two overlap.
        for await _ in firstRead.stream {}
        for index in 1...150 { try await writer.record(StoreFixture.snapshot(at: Double(index * 2), rps: Double(index))) }
        let count = try await reads.value
        #expect(count > 1)
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("Writer lock: a second writer on the same file is refused while the first holds it")
    func writerLock() throws {
        let path = StoreFixture.temporaryPath("locked.db")
        let first = WriterLock(databasePath: path)
        #expect(first != nil)
        #expect(WriterLock(databasePath: path) == nil)
        withExtendedLifetime(first) {}
    }

    @Test("A writer reopened on an existing file continues intervals and config hashes instead of duplicating them")
    func reopen() async throws {
        let path = StoreFixture.temporaryPath("reopen.db")
        do {
            let writer = try HistoryStore(path: path).writer()
            for index in 0..<3 { try await writer.record(StoreFixture.snapshot(at: Double(index * 2))) }
        }
        let store = try HistoryStore(path: path)
        let writer = try store.writer()
        for index in 3..<6 { try await writer.record(StoreFixture.snapshot(at: Double(index * 2))) }
        let (states, revisions) = try await store.database.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM states WHERE kind = 'proxy'"), try Int.fetchOne(db, sql: "SELECT count(*) FROM config_revisions"))
        }
        #expect(states == 1)
        #expect(revisions == 1)
    }
}
