import GRDB

/// Retention applied a slice at a time inside each poll's transaction, so no poll stalls on a
/// large delete: a few of the oldest raw polls past the raw window, rollups of a few services
/// and edges past the rollup window, old events and superseded config revisions.
enum RetentionStep {
    /// Raw polls deleted per step (a step per poll deletes several times faster than polls arrive).
    static let rawPollsPerStep = 8
    static let namesPerStep = 64
    static let rowsPerStep = 500

    /// Runs one step and returns where the rollup sweep continues.
    static func run(_ db: Database, now: Double, retention: Retention, cursor: Int64) throws -> Int64 {
        let rawCutoff = now - retention.raw
        let old = try Int64.fetchAll(db, sql: "SELECT id FROM polls WHERE at < ? ORDER BY id LIMIT ?", arguments: [rawCutoff, rawPollsPerStep])
        if let first = old.first, let last = old.last {
            try db.execute(sql: "DELETE FROM service_samples WHERE poll BETWEEN ? AND ?", arguments: [first, last])
            try db.execute(sql: "DELETE FROM edge_samples WHERE poll BETWEEN ? AND ?", arguments: [first, last])
            try db.execute(sql: "DELETE FROM polls WHERE id BETWEEN ? AND ?", arguments: [first, last])
            try db.execute(sql: "DELETE FROM states WHERE until_poll IS NOT NULL AND until_poll <= ?", arguments: [last])
        }
        let rollupCutoffMinute = Int(((now - retention.rollups) / 60).rounded(.down))
        let slice = try Row.fetchAll(db, sql: "SELECT id, kind FROM names WHERE id > ? ORDER BY id LIMIT ?", arguments: [cursor, namesPerStep])
        for row in slice {
            let id: Int64 = row["id"], kind: String = row["kind"]
            if kind == "service" {
                try db.execute(sql: "DELETE FROM service_minutes WHERE service = ? AND minute < ?", arguments: [id, rollupCutoffMinute])
            } else if kind == "edge" {
                try db.execute(sql: "DELETE FROM edge_minutes WHERE edge = ? AND minute < ?", arguments: [id, rollupCutoffMinute])
            }
        }
        let rollupCutoff = now - retention.rollups
        try db.execute(sql: "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? ORDER BY at LIMIT ?)", arguments: [rollupCutoff, rowsPerStep])
        try db.execute(sql: """
            DELETE FROM config_revisions WHERE id IN (
                SELECT id FROM config_revisions r WHERE at < ? AND EXISTS (
                    SELECT 1 FROM config_revisions n WHERE n.kind = r.kind AND n.namespace = r.namespace AND n.name = r.name AND n.id > r.id)
                ORDER BY at LIMIT ?)
            """, arguments: [rollupCutoff, rowsPerStep])
        guard let next = slice.last.map({ $0["id"] as Int64 }) else {
            // A sweep finished: drop config texts no revision refers to any more.
            try db.execute(sql: "DELETE FROM config_texts WHERE hash NOT IN (SELECT hash FROM config_revisions WHERE hash IS NOT NULL)")
            return 0
        }
        return next
    }
}
