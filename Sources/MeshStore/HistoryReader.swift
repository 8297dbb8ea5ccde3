import Foundation
import GRDB
import MeshModel

/// Resolution of a history query: every poll, or one-minute rollups.
public enum Resolution: String, Sendable, CaseIterable {
    case raw
    case minute = "1m"
}

/// One point of a service's or edge's history.
public struct MetricPoint: Sendable, Equatable {
    public var at: Date
    /// `namespace/name` of a service, or `source->destination protocol` of an edge.
    public var subject: String
    public var traffic: TrafficMetrics
    public var health: HealthVerdict
    /// Polls averaged into this point (1 for raw points).
    public var samples: Int
}

/// Answers history queries; plain values out (GRDB rows never leave a read closure). Its
/// methods read on the calling thread (commands); async code goes through `perform`.
public struct HistoryReader: Sendable {
    let database: any DatabaseReader
    let cache: StateCache
    /// The store's read queue (one per store): what `perform` runs on.
    let queue: StoreQueue

    /// Runs `body` with this reader on the store's read queue, suspending the caller instead of
    /// blocking a thread of the concurrency pool.
    public func perform<T: Sendable>(_ body: @escaping @Sendable (HistoryReader) throws -> T) async throws -> T {
        let reader = self
        return try await queue.run { try body(reader) }
    }

    // MARK: Polls

    public func latestPoll() throws -> StoredPoll? {
        try database.read { db in try Self.poll(db, sql: "SELECT id, at FROM polls ORDER BY id DESC LIMIT 1") }
    }

    public func oldestPoll() throws -> StoredPoll? {
        try database.read { db in try Self.poll(db, sql: "SELECT id, at FROM polls ORDER BY id LIMIT 1") }
    }

    public func poll(before id: Int64) throws -> StoredPoll? {
        try database.read { db in try Self.poll(db, sql: "SELECT id, at FROM polls WHERE id < ? ORDER BY id DESC LIMIT 1", [id]) }
    }

    public func poll(after id: Int64) throws -> StoredPoll? {
        try database.read { db in try Self.poll(db, sql: "SELECT id, at FROM polls WHERE id > ? ORDER BY id LIMIT 1", [id]) }
    }

    /// The last poll taken at or before `date`.
    public func poll(atOrBefore date: Date) throws -> StoredPoll? {
        try database.read { db in
            try Self.poll(db, sql: "SELECT id, at FROM polls WHERE at <= ? ORDER BY at DESC LIMIT 1", [date.timeIntervalSince1970])
        }
    }

    public func pollCount() throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM polls") ?? 0 }
    }

    static func poll(_ db: Database, sql: String, _ arguments: StatementArguments = []) throws -> StoredPoll? {
        try Row.fetchOne(db, sql: sql, arguments: arguments).map { StoredPoll(id: $0["id"], at: Date(timeIntervalSince1970: $0["at"])) }
    }

    // MARK: Metrics

    /// One service's (or edge's) history between two instants.
    public func series(service key: String, from: Date, to: Date, resolution: Resolution) throws -> [MetricPoint] {
        try database.read { db in try Self.series(db, kind: "service", key: key, from: from, to: to, resolution: resolution) }
    }

    public func series(edge key: String, from: Date, to: Date, resolution: Resolution) throws -> [MetricPoint] {
        try database.read { db in try Self.series(db, kind: "edge", key: key, from: from, to: to, resolution: resolution) }
    }

    static func series(_ db: Database, kind: String, key: String, from: Date, to: Date, resolution: Resolution) throws -> [MetricPoint] {
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM names WHERE kind = ? AND name = ?", arguments: [kind, key]) else { return [] }
        return try points(db, kind: kind, only: id, from: from, to: to, resolution: resolution)
    }

    /// Points of one entity (`only`, read through its index) or of all entities of a kind (a
    /// range scan over time), oldest first.
    static func points(_ db: Database, kind: String, only id: Int64?, from: Date, to: Date, resolution: Resolution) throws -> [MetricPoint] {
        let table = kind == "service" ? "service_samples" : "edge_samples", column = kind
        let values = TrafficMetrics.columnNames.map { "s.\($0) AS \($0)" }.joined(separator: ", ")
        let averages = TrafficMetrics.columnNames.map { "avg(s.\($0)) AS \($0)" }.joined(separator: ", ")
        let entity = id.map { "s.\(column) = \($0) AND" } ?? ""
        let pollRange = "s.poll BETWEEN (SELECT coalesce(min(id), 0) FROM polls WHERE at >= ?) AND (SELECT coalesce(max(id), -1) FROM polls WHERE at <= ?)"
        switch resolution {
        case .raw:
            let sql = "SELECT p.at, n.name, \(values), s.health, s.reason FROM \(table) s JOIN polls p ON p.id = s.poll "
                + "JOIN names n ON n.id = s.\(column) WHERE \(entity) \(pollRange) ORDER BY s.poll, n.name"
            return try Row.fetchAll(db, sql: sql, arguments: [from.timeIntervalSince1970, to.timeIntervalSince1970]).map { row in
                point(row, values: 2, reason: true, subject: row[1], at: row[0], samples: 1)
            }
        case .minute:
            let first = Int((from.timeIntervalSince1970 / 60).rounded(.down)), last = Int((to.timeIntervalSince1970 / 60).rounded(.down))
            let rolled = try rolledThrough(db)
            let rollups = "SELECT s.minute, n.name, s.samples, \(values), s.health FROM \(kind)_minutes s JOIN names n ON n.id = s.\(column) "
                + "WHERE \(entity) s.minute BETWEEN ? AND ? ORDER BY s.minute, n.name"
            var out = try Row.fetchAll(db, sql: rollups, arguments: [first, min(last, rolled)]).map { row in
                point(row, values: 3, reason: false, subject: row[1], at: Double(row[0] as Int) * 60, samples: row[2])
            }
            if last > rolled {
                // Minutes not rolled up yet (the current one): aggregated from raw samples.
                let recent = "SELECT CAST(p.at / 60 AS INTEGER) AS minute, n.name, count(*) AS samples, \(averages), max(s.health) AS health "
                    + "FROM \(table) s JOIN polls p ON p.id = s.poll JOIN names n ON n.id = s.\(column) "
                    + "WHERE \(entity) \(pollRange) GROUP BY minute, s.\(column) ORDER BY minute, n.name"
                out += try Row.fetchAll(db, sql: recent, arguments: [Double(max(first, rolled + 1)) * 60, to.timeIntervalSince1970]).map { row in
                    point(row, values: 3, reason: false, subject: row[1], at: Double(row[0] as Int) * 60, samples: row[2])
                }
            }
            return out
        }
    }

    static func rolledThrough(_ db: Database) throws -> Int {
        try String.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'rolled_up_through_minute'").flatMap { Int($0) } ?? Int.min / 2
    }

    /// A point from a row whose six traffic columns start at `values`, followed by health and,
    /// for raw rows, the reason. Columns are read by position (by name, GRDB lowercases each
    /// name per access: measurable over thousands of rows).
    static func point(_ row: Row, values: Int, reason: Bool, subject: String, at: Double, samples: Int) -> MetricPoint {
        let columns: [Int64?] = (values..<values + 6).map { (row[$0] as Double?).map { Int64($0.rounded()) } }
        return MetricPoint(at: Date(timeIntervalSince1970: at), subject: subject, traffic: TrafficMetrics(columns: columns),
                           health: Reasons.verdict(code: row[values + 6], reason: reason ? row[values + 7] : nil), samples: samples)
    }

    /// What the charts draw (RPS, 5xx share, p99) for one service, oldest first: raw polls for
    /// `.raw`, else 1-minute rollups read from the per-entity index alone (one contiguous range
    /// for a whole day) plus the minutes not rolled up yet. Other values are left empty.
    public func chart(service key: String, from: Date, to: Date, resolution: Resolution) throws -> [MetricPoint] {
        guard resolution == .minute else { return try series(service: key, from: from, to: to, resolution: resolution) }
        return try database.read { db in
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM names WHERE kind = 'service' AND name = ?", arguments: [key]) else { return [] }
            let first = Int((from.timeIntervalSince1970 / 60).rounded(.down)), last = Int((to.timeIntervalSince1970 / 60).rounded(.down))
            let rolled = try Self.rolledThrough(db)
            var points = try Row.fetchAll(db, sql: """
                SELECT minute, rps_milli, err5xx_ppm, p99_us FROM service_minutes INDEXED BY service_minutes_by_service
                WHERE service = ? AND minute BETWEEN ? AND ? ORDER BY minute
                """, arguments: [id, first, min(last, rolled)]).map { row -> MetricPoint in
                let serverErrors = Scaled.share(row[2])
                return MetricPoint(at: Date(timeIntervalSince1970: Double(row[0] as Int) * 60), subject: key,
                                   traffic: TrafficMetrics(rps: Scaled.rps(row[1]), successRate: serverErrors.map { 1 - $0 }, serverErrorRate: serverErrors,
                                                           latencyMs: LatencyQuantiles(p99: Scaled.ms(row[3]))),
                                   health: HealthVerdict(.unknown, reason: "not read for charts"), samples: 0)
            }
            if last > rolled {
                points += try Self.points(db, kind: "service", only: id, from: Date(timeIntervalSince1970: Double(max(first, rolled + 1)) * 60), to: to,
                                          resolution: .minute)
            }
            return points
        }
    }

    /// Every service's (or edge's) points between two instants, for `meshtop history`.
    public func allSeries(kind: String, from: Date, to: Date, resolution: Resolution, matching filter: String? = nil) throws -> [MetricPoint] {
        try database.read { db in
            try Self.points(db, kind: kind, only: nil, from: from, to: to, resolution: resolution).filter { filter == nil || $0.subject.contains(filter!) }
        }
    }

    /// RPS per minute of every service over the `minutes` minutes ending at `end` (oldest first,
    /// the last one possibly partial), for the Services view's TREND column.
    public func trends(minutes: Int, endingAt end: Date) throws -> [String: [Double]] {
        try database.read { db in
            var out: [String: [Double]] = [:]
            let from = end.addingTimeInterval(-Double(minutes - 1) * 60)
            for point in try Self.points(db, kind: "service", only: nil, from: from, to: end, resolution: .minute) {
                out[point.subject, default: []].append(point.traffic.rps)
            }
            return out
        }
    }

    // MARK: Events and configuration

    public func events(from: Date, to: Date, limit: Int = 10_000) throws -> [MeshEvent] {
        try database.read { db in try Self.events(db, from: from, to: to, limit: limit) }
    }

    static func events(_ db: Database, from: Date, to: Date, limit: Int) throws -> [MeshEvent] {
        try Row.fetchAll(db, sql: """
            SELECT * FROM (SELECT at, kind, subject, message, severity, diff FROM events WHERE at >= ? AND at <= ? ORDER BY at DESC, id DESC LIMIT ?)
            ORDER BY at
            """, arguments: [from.timeIntervalSince1970, to.timeIntervalSince1970, limit]).map { row in
            MeshEvent(at: Date(timeIntervalSince1970: row["at"]), kind: MeshEvent.Kind(rawValue: row["kind"]) ?? .action, subject: row["subject"],
                      message: row["message"], severity: Severity(rawValue: row["severity"]) ?? .info, diff: row["diff"])
        }
    }

    /// A change of one configuration object: its new content hash (nil when removed) and the
    /// one before (nil when added or first seen).
    public struct ConfigRevision: Sendable, Equatable {
        public var at: Date
        public var kind: String
        public var namespace: String
        public var name: String
        public var hash: String?
        public var previousHash: String?
    }

    public func configRevisions(from: Date, to: Date, kind: String? = nil, name: String? = nil) throws -> [ConfigRevision] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.at, r.kind, r.namespace, r.name, r.hash,
                       (SELECT hash FROM config_revisions o WHERE o.kind = r.kind AND o.namespace = r.namespace AND o.name = r.name AND o.id < r.id
                        ORDER BY o.id DESC LIMIT 1) AS previous
                FROM config_revisions r WHERE r.at >= ? AND r.at <= ? ORDER BY r.at, r.id
                """, arguments: [from.timeIntervalSince1970, to.timeIntervalSince1970]).map { row in
                ConfigRevision(at: Date(timeIntervalSince1970: row["at"]), kind: row["kind"], namespace: row["namespace"], name: row["name"],
                               hash: row["hash"], previousHash: row["previous"])
            }.filter { revision in
                (kind == nil || revision.kind.caseInsensitiveCompare(kind!) == .orderedSame) && (name == nil || revision.name == name)
            }
        }
    }

    public func configText(hash: String) throws -> String? {
        try database.read { db in try String.fetchOne(db, sql: "SELECT text FROM config_texts WHERE hash = ?", arguments: [hash]) }
    }

    /// The object's revision in force at `date`: (hash, text), nil when it did not exist then.
    public func config(kind: String, namespace: String, name: String, at date: Date) throws -> (hash: String, text: String)? {
        try database.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT r.hash, t.text FROM config_revisions r LEFT JOIN config_texts t ON t.hash = r.hash
                WHERE r.kind = ? COLLATE NOCASE AND r.namespace = ? AND r.name = ? AND r.at <= ? ORDER BY r.at DESC, r.id DESC LIMIT 1
                """, arguments: [kind, namespace, name, date.timeIntervalSince1970])
            guard let row, let hash = row["hash"] as String?, let text = row["text"] as String? else { return nil }
            return (hash, text)
        }
    }

    /// Kinds with stored revisions (exact spelling), for resolving `vs`, `virtualservice`, ….
    public func configKinds() throws -> [String] {
        try database.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT kind FROM config_revisions ORDER BY kind") }
    }
}
