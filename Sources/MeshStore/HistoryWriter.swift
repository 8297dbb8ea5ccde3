import Foundation
import GRDB
import GRDBSQLite
import MeshModel

/// Writes snapshots into the store, one transaction per poll: the poll, a raw sample per
/// service and edge, entity states that changed (as intervals), config revisions that changed,
/// the poll's events, rollups of minutes that just completed, and a bounded slice of retention.
/// In-memory caches (interned names, open states, current config hashes) are updated only after
/// a commit, so a failed write leaves them consistent with the file.
///
/// Every write runs on the writer's own serial queue (`StoreQueue`) while the caller suspends:
/// a slow disk delays writes, never the threads polls run on.
public final class HistoryWriter: @unchecked Sendable {
    // Safe: `caches` and `written` are read and changed only inside `queue.run` bodies, which the
    // serial queue runs one at a time; the other properties are constants.
    private let queue = StoreQueue(label: "meshtop.store.writer")
    let database: any DatabaseWriter
    public let retention: Retention
    /// What the writer remembers between polls. Taken out for the length of a write, so that the
    /// transaction mutates uniquely owned dictionaries (no copy of thousands of open states per
    /// poll), put back on commit, and dropped on failure (reloaded from the file next time).
    private var caches: WriterCaches?
    /// Polls written by this writer (the config-text sweep runs every 1,000th).
    private var written = 0

    /// What one `record` stored.
    public struct Written: Sendable {
        public var poll: Int64
        /// Raw metric samples written (one per service and edge).
        public var samples: Int
        public var statesChanged: Int
        public var configRevisions: Int
    }

    init(database: any DatabaseWriter, retention: Retention) throws {
        self.database = database
        self.retention = retention
        caches = try database.read(WriterCaches.load)
    }

    /// Stores one snapshot in one transaction and returns what was written.
    @discardableResult
    public func record(_ snapshot: MeshSnapshot) async throws -> Written {
        try await queue.run { try self.recordNow(snapshot) }
    }

    private func recordNow(_ snapshot: MeshSnapshot) throws -> Written {
        // Polls are stored in time order (rollups and time travel rely on it).
        var pending = try caches.take() ?? database.read(WriterCaches.load)
        let at = max(snapshot.generatedAt.timeIntervalSince1970, pending.lastAt + 0.001)
        let rolled = pending.rolledThroughMinute
        let sweep = written % 1000 == 999
        let retention = retention
        let result = try database.write { db -> Written in
            try db.execute(sql: "INSERT INTO polls(at, services, proxies, sources_failing) VALUES (?, ?, ?, ?)",
                           arguments: [at, snapshot.services.count, snapshot.proxies.count, snapshot.sources.filter { !$0.ok }.count])
            let poll = db.lastInsertedRowID
            var samples = 0
            let serviceInsert = try SampleInserter(db, sql: """
                INSERT INTO service_samples(poll, service, rps_milli, err5xx_ppm, err4xx_ppm, p50_us, p95_us, p99_us, health, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for service in snapshot.services {
                try serviceInsert.insert(poll: poll, entity: try pending.name(db, "service", service.id), traffic: service.traffic, health: service.health)
                samples += 1
            }
            let edgeInsert = try SampleInserter(db, sql: """
                INSERT INTO edge_samples(poll, edge, rps_milli, err5xx_ppm, err4xx_ppm, p50_us, p95_us, p99_us, health, reason, mtls, shares)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for edge in snapshot.edges {
                try edgeInsert.insert(poll: poll, entity: try pending.name(db, "edge", "\(edge.id) \(edge.protocol)"), traffic: edge.traffic,
                                      health: edge.health, mtls: edge.mtls, shares: Shares.text(edge.versionShare))
                samples += 1
            }
            let statesChanged = try pending.writeStates(db, StateCodec.entries(snapshot), poll: poll)
            let revisions = try pending.writeConfigs(db, snapshot.configs, poll: poll, at: at)
            let eventInsert = try db.cachedStatement(sql: "INSERT INTO events(at, kind, subject, message, severity, diff) VALUES (?, ?, ?, ?, ?, ?)")
            for event in snapshot.events {
                try eventInsert.execute(arguments: [event.at.timeIntervalSince1970, event.kind.rawValue, event.subject, event.message,
                                                    event.severity.rawValue, event.diff])
            }
            // Minutes before this poll's are complete: roll them up.
            let minute = Int((at / 60).rounded(.down))
            var rolledThrough = rolled
            if rolled.map({ $0 < minute - 1 }) ?? true {
                let from = rolled.map { $0 + 1 } ?? Int.min / 2
                try Rollups.rollUp(db, fromMinute: from, throughMinute: minute - 1)
                rolledThrough = minute - 1
                try db.execute(sql: "INSERT OR REPLACE INTO store_meta(key, value) VALUES ('rolled_up_through_minute', ?)",
                               arguments: [String(minute - 1)])
            }
            try RetentionStep.run(db, now: at, retention: retention, sweepTexts: sweep)
            pending.rolledThroughMinute = rolledThrough
            return Written(poll: poll, samples: samples, statesChanged: statesChanged, configRevisions: revisions)
        }
        if pending.rolledThroughMinute != rolled {
            // The minute just rolled up is no longer read: give its pages back, so the page
            // cache holds a minute of writes instead of growing with the file to its 64 MB cap
            // (the soak grew 10.6 % per hour from that alone).
            try? database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA shrink_memory") }
        }
        pending.lastAt = at
        caches = pending
        written += 1
        return result
    }

    /// Bytes of page cache the writer's connection holds now (`SQLITE_DBSTATUS_CACHE_USED`).
    func pageCacheBytes() async throws -> Int {
        let database = database
        return try await queue.run { try database.writeWithoutTransaction { db in
            var used: Int32 = 0, highWater: Int32 = 0
            sqlite3_db_status(db.sqliteConnection, SQLITE_DBSTATUS_CACHE_USED, &used, &highWater, 0)
            return Int(used)
        } }
    }

    /// Records an event outside a poll (an operator action and its result).
    public func record(event: MeshEvent) async throws {
        let database = database
        try await queue.run { try database.write { db in
            try db.execute(sql: "INSERT INTO events(at, kind, subject, message, severity, diff) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [event.at.timeIntervalSince1970, event.kind.rawValue, event.subject, event.message,
                                       event.severity.rawValue, event.diff])
        } }
    }
}

/// An open state interval: its row and the value it holds (nil when the row could not be read).
struct OpenState {
    var row: Int64
    var value: StateValue?
    /// The last poll that carried this entity.
    var seen: Int64 = 0
}

/// What the writer keeps between polls: interned names, open state intervals, current config
/// hashes, the last poll time and how far rollups reach. Loaded from the file when a writer
/// opens it, so a restarted recorder continues where the last one stopped.
struct WriterCaches {
    /// Per kind (`service`, `edge`), name → id.
    var names: [String: [String: Int64]] = [:]
    var openStates: [String: [String: OpenState]] = [:]
    var configHashes: [String: String] = [:]
    var lastAt: Double = 0
    var rolledThroughMinute: Int?

    static func load(_ db: Database) throws -> WriterCaches {
        var caches = WriterCaches()
        for row in try Row.fetchAll(db, sql: "SELECT id, kind, name FROM names") {
            caches.names[row["kind"], default: [:]][row["name"]] = row["id"]
        }
        for row in try Row.fetchAll(db, sql: "SELECT id, kind, key, body FROM states WHERE until_poll IS NULL") {
            let kind: String = row["kind"], key: String = row["key"], body: String = row["body"]
            // An unreadable row is closed by the next poll's value.
            let value = (try? StateValue.decode(kind: kind, body: body)) ?? nil
            caches.openStates[kind, default: [:]][key] = OpenState(row: row["id"], value: value)
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT kind, namespace, name, hash FROM config_revisions r
            WHERE id = (SELECT max(id) FROM config_revisions WHERE kind = r.kind AND namespace = r.namespace AND name = r.name)
            """) {
            let hash: String? = row["hash"]
            if let hash { caches.configHashes["\(row["kind"] as String)/\(row["namespace"] as String)/\(row["name"] as String)"] = hash }
        }
        caches.lastAt = try Double.fetchOne(db, sql: "SELECT max(at) FROM polls") ?? 0
        caches.rolledThroughMinute = try String.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'rolled_up_through_minute'").flatMap { Int($0) }
        return caches
    }

    mutating func name(_ db: Database, _ kind: String, _ name: String) throws -> Int64 {
        if let id = names[kind]?[name] { return id }
        try db.execute(sql: "INSERT INTO names(kind, name) VALUES (?, ?)", arguments: [kind, name])
        names[kind, default: [:]][name] = db.lastInsertedRowID
        return db.lastInsertedRowID
    }

    /// Opens a new interval for every entity whose value changed, closes the previous one at
    /// the poll before, and closes intervals of entities no longer present.
    mutating func writeStates(_ db: Database, _ entries: [StateEntry], poll: Int64) throws -> Int {
        var changed = 0
        let close = try db.cachedStatement(sql: "UPDATE states SET until_poll = ? WHERE id = ?")
        let insert = try db.cachedStatement(sql: "INSERT INTO states(kind, key, since_poll, body) VALUES (?, ?, ?, ?)")
        // Entries come grouped by kind: each group updates its dictionary in place, one hash per entity.
        var start = entries.startIndex
        while start < entries.endIndex {
            let kind = entries[start].value.kind
            var end = start
            while end < entries.endIndex, entries[end].value.kind == kind { end += 1 }
            try update(&openStates[kind, default: [:]], entries[start..<end])
            start = end
        }
        func update(_ states: inout [String: OpenState], _ group: ArraySlice<StateEntry>) throws {
            for entry in group {
                if let index = states.index(forKey: entry.key) {
                    if let open = states.values[index].value, open.same(entry.value) {
                        states.values[index].seen = poll
                        continue
                    }
                    try close.execute(arguments: [poll - 1, states.values[index].row])
                }
                try insert.execute(arguments: [entry.value.kind, entry.key, poll, try entry.stored.body()])
                states[entry.key] = OpenState(row: db.lastInsertedRowID, value: entry.value, seen: poll)
                changed += 1
            }
        }
        // Entities not seen in this poll are gone: close their intervals.
        for kind in Array(openStates.keys) {
            for (key, open) in openStates[kind]! where open.seen != poll {
                try close.execute(arguments: [poll - 1, open.row])
                openStates[kind]![key] = nil
                changed += 1
            }
        }
        return changed
    }

    /// Stores each config text once per hash and a revision row whenever an object's hash
    /// changes. Istio objects missing from a poll that has Istio objects are recorded as
    /// removed; proxy documents are only ever added or changed (a proxy read later is not a
    /// removal).
    mutating func writeConfigs(_ db: Database, _ documents: [ConfigDocument], poll: Int64, at: Double) throws -> Int {
        let insertText = try db.cachedStatement(sql: "INSERT OR IGNORE INTO config_texts(hash, text) VALUES (?, ?)")
        let insertRevision = try db.cachedStatement(sql: "INSERT INTO config_revisions(kind, namespace, name, hash, poll, at) VALUES (?, ?, ?, ?, ?, ?)")
        var revisions = 0
        for document in documents where configHashes[document.id] != document.hash {
            try insertText.execute(arguments: [document.hash, document.text])
            try insertRevision.execute(arguments: [document.kind, document.namespace, document.name, document.hash, poll, at])
            configHashes[document.id] = document.hash
            revisions += 1
        }
        let isProxyKind = { (kind: String) in kind == ConfigDocument.proxyRoutes || kind == ConfigDocument.proxyClusters }
        guard documents.contains(where: { !isProxyKind($0.kind) }) else { return revisions }
        let present = Set(documents.map(\.id))
        for id in configHashes.keys where !present.contains(id) {
            let parts = id.split(separator: "/", maxSplits: 2).map(String.init)
            guard parts.count == 3, !isProxyKind(parts[0]) else { continue }
            try insertRevision.execute(arguments: [parts[0], parts[1], parts[2], nil as String?, poll, at])
            configHashes[id] = nil
            revisions += 1
        }
        return revisions
    }
}

