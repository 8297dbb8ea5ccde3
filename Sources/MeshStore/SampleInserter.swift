import GRDB
import GRDBSQLite
import MeshModel

/// Inserts raw samples by binding values straight into a prepared SQLite statement: the
/// measured hot path of ingest (thousands of rows per poll), where building GRDB's
/// `StatementArguments` per row cost as much as SQLite's own work.
struct SampleInserter {
    let statement: Statement
    let db: Database
    private var handle: OpaquePointer { statement.sqliteStatement }
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ db: Database, sql: String) throws {
        self.db = db
        statement = try db.cachedStatement(sql: sql)
    }

    /// Binds `poll`, `entity`, the traffic columns, health and reason (then `extra` texts and
    /// integers) and steps the statement once.
    func insert(poll: Int64, entity: Int64, traffic: TrafficMetrics, health: HealthVerdict, mtls: Bool? = nil, shares: String? = nil) throws {
        sqlite3_reset(handle)
        var index: Int32 = 1
        func bind(_ value: Int64?) {
            if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
            index += 1
        }
        func bind(_ text: String?) {
            if let text { sqlite3_bind_text(handle, index, text, -1, Self.transient) } else { sqlite3_bind_null(handle, index) }
            index += 1
        }
        bind(poll)
        bind(entity)
        bind(Scaled.milli(traffic.rps))
        bind(Scaled.ppm(traffic.serverErrorRate))
        bind(Scaled.ppm(traffic.clientErrorRate))
        bind(Scaled.micros(traffic.latencyMs.p50))
        bind(Scaled.micros(traffic.latencyMs.p95))
        bind(Scaled.micros(traffic.latencyMs.p99))
        bind(Int64(health.health.code))
        bind(Reasons.stored(health))
        if let mtls {
            bind(mtls ? 1 : 0)
            bind(shares)
        }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            throw StoreError("insert into \(statement.sql): \(String(cString: sqlite3_errmsg(db.sqliteConnection)))")
        }
    }
}
