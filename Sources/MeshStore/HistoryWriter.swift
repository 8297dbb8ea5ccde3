import Foundation
import GRDB
import MeshModel

/// Writes snapshots into the store, one transaction per poll: the poll, a raw sample per
/// service and edge, entity states that changed (as intervals), config revisions that changed,
/// the poll's events, rollups of minutes that just completed, and a bounded slice of retention.
/// In-memory caches (interned names, open states, current config hashes) are updated only after
/// a commit, so a failed write leaves them consistent with the file.
public actor HistoryWriter {
    let database: any DatabaseWriter
    public let retention: Retention
    private var names: [String: Int64] = [:]
    /// `kind \u{1} key` → (state row, hash of its comparable value).
    private var openStates: [String: (row: Int64, hash: Int)] = [:]
    /// Config object id → current content hash.
    private var configHashes: [String: String] = [:]
    private var lastAt: Double = 0
    private var rolledThroughMinute: Int?
    /// Where the incremental rollup retention continues (service or edge name id).
    private var retentionCursor: Int64 = 0

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
        let loaded = try database.read { db -> ([String: Int64], [String: (Int64, Int)], [String: String], Double, Int?) in
            var names: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, kind, name FROM names") {
                names[Self.nameKey(row["kind"], row["name"])] = row["id"]
            }
            var states: [String: (Int64, Int)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, kind, key, body FROM states WHERE until_poll IS NULL") {
                let kind: String = row["kind"], key: String = row["key"], body: String = row["body"]
                states[Self.nameKey(kind, key)] = (row["id"], StateCodec.hash(kind: kind, body: body))
            }
            var configs: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT kind, namespace, name, hash FROM config_revisions r
                WHERE id = (SELECT max(id) FROM config_revisions WHERE kind = r.kind AND namespace = r.namespace AND name = r.name)
                """) {
                let hash: String? = row["hash"]
                if let hash { configs["\(row["kind"] as String)/\(row["namespace"] as String)/\(row["name"] as String)"] = hash }
            }
            let lastAt = try Double.fetchOne(db, sql: "SELECT max(at) FROM polls") ?? 0
            let rolled = try String.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'rolled_up_through_minute'").flatMap { Int($0) }
            return (names, states, configs, lastAt, rolled)
        }
        names = loaded.0
        openStates = loaded.1.mapValues { (row: $0.0, hash: $0.1) }
        configHashes = loaded.2
        lastAt = loaded.3
        rolledThroughMinute = loaded.4
    }

    static func nameKey(_ kind: String, _ name: String) -> String { kind + "\u{1}" + name }

    /// Stores one snapshot in one transaction and returns what was written.
    @discardableResult
    public func record(_ snapshot: MeshSnapshot) throws -> Written {
        // Polls are stored in time order (rollups and time travel rely on it).
        let at = max(snapshot.generatedAt.timeIntervalSince1970, lastAt + 0.001)
        var pending = Pending(names: names, openStates: openStates, configHashes: configHashes)
        let rolled = rolledThroughMinute
        let cursor = retentionCursor
        let retention = retention
        let result = try database.write { db -> (Written, Pending, Int?, Int64) in
            try db.execute(sql: "INSERT INTO polls(at, services, proxies, sources_failing) VALUES (?, ?, ?, ?)",
                           arguments: [at, snapshot.services.count, snapshot.proxies.count, snapshot.sources.filter { !$0.ok }.count])
            let poll = db.lastInsertedRowID
            var samples = 0
            let serviceInsert = try db.cachedStatement(sql: """
                INSERT INTO service_samples(poll, service, rps_milli, success_ppm, err5xx_ppm, err4xx_ppm, p50_us, p95_us, p99_us, health, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for service in snapshot.services {
                let id = try pending.name(db, "service", service.id)
                let columns = service.traffic.columns
                try serviceInsert.execute(arguments: [poll, id, columns[0], columns[1], columns[2], columns[3], columns[4], columns[5], columns[6],
                                                      service.health.health.code, Reasons.stored(service.health)])
                samples += 1
            }
            let edgeInsert = try db.cachedStatement(sql: """
                INSERT INTO edge_samples(poll, edge, rps_milli, success_ppm, err5xx_ppm, err4xx_ppm, p50_us, p95_us, p99_us, health, reason, mtls, shares)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for edge in snapshot.edges {
                let id = try pending.name(db, "edge", "\(edge.id) \(edge.protocol)")
                let columns = edge.traffic.columns
                try edgeInsert.execute(arguments: [poll, id, columns[0], columns[1], columns[2], columns[3], columns[4], columns[5], columns[6],
                                                   edge.health.health.code, Reasons.stored(edge.health), edge.mtls ? 1 : 0, Shares.text(edge.versionShare)])
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
            let nextCursor = try RetentionStep.run(db, now: at, retention: retention, cursor: cursor)
            return (Written(poll: poll, samples: samples, statesChanged: statesChanged, configRevisions: revisions), pending, rolledThrough, nextCursor)
        }
        names = result.1.names
        openStates = result.1.openStates
        configHashes = result.1.configHashes
        rolledThroughMinute = result.2
        retentionCursor = result.3
        lastAt = at
        return result.0
    }

    /// Records an event outside a poll (an operator action and its result).
    public func record(event: MeshEvent) throws {
        try database.write { db in
            try db.execute(sql: "INSERT INTO events(at, kind, subject, message, severity, diff) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [event.at.timeIntervalSince1970, event.kind.rawValue, event.subject, event.message,
                                       event.severity.rawValue, event.diff])
        }
    }
}

/// Cache changes made inside a transaction, adopted only once it commits.
struct Pending {
    var names: [String: Int64]
    var openStates: [String: (row: Int64, hash: Int)]
    var configHashes: [String: String]

    mutating func name(_ db: Database, _ kind: String, _ name: String) throws -> Int64 {
        let key = HistoryWriter.nameKey(kind, name)
        if let id = names[key] { return id }
        try db.execute(sql: "INSERT INTO names(kind, name) VALUES (?, ?)", arguments: [kind, name])
        names[key] = db.lastInsertedRowID
        return db.lastInsertedRowID
    }

    /// Opens a new interval for every entity whose value changed, closes the previous one at
    /// the poll before, and closes intervals of entities no longer present.
    mutating func writeStates(_ db: Database, _ entries: [StateEntry], poll: Int64) throws -> Int {
        var seen = Set<String>()
        var changed = 0
        let close = try db.cachedStatement(sql: "UPDATE states SET until_poll = ? WHERE id = ?")
        let insert = try db.cachedStatement(sql: "INSERT INTO states(kind, key, since_poll, body) VALUES (?, ?, ?, ?)")
        for entry in entries {
            let key = HistoryWriter.nameKey(entry.kind, entry.key)
            seen.insert(key)
            if let open = openStates[key], open.hash == entry.hash { continue }
            if let open = openStates[key] { try close.execute(arguments: [poll - 1, open.row]) }
            try insert.execute(arguments: [entry.kind, entry.key, poll, try entry.body()])
            openStates[key] = (db.lastInsertedRowID, entry.hash)
            changed += 1
        }
        for (key, open) in openStates where !seen.contains(key) {
            try close.execute(arguments: [poll - 1, open.row])
            openStates[key] = nil
            changed += 1
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
