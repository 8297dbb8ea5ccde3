import GRDB

/// Retention applied a slice at a time inside each poll's transaction, so no poll stalls on a
/// large delete: a few of the oldest raw polls past the raw window, rollup minutes past the
/// rollup window (a prefix of their time-ordered keys), old events and superseded config
/// revisions in bounded batches.
enum RetentionStep {
    /// Raw polls deleted per step (a step per poll deletes several times faster than polls arrive).
    static let rawPollsPerStep = 8
    static let rollupMinutesPerStep = 5
    static let rowsPerStep = 500

    static func run(_ db: Database, now: Double, retention: Retention, sweepTexts: Bool) throws {
        let rawCutoff = now - retention.raw
        let old = try Int64.fetchAll(db, sql: "SELECT id FROM polls WHERE at < ? ORDER BY id LIMIT ?", arguments: [rawCutoff, rawPollsPerStep])
        if let first = old.first, let last = old.last {
            try db.execute(sql: "DELETE FROM service_samples WHERE poll BETWEEN ? AND ?", arguments: [first, last])
            try db.execute(sql: "DELETE FROM edge_samples WHERE poll BETWEEN ? AND ?", arguments: [first, last])
            try db.execute(sql: "DELETE FROM polls WHERE id BETWEEN ? AND ?", arguments: [first, last])
            try db.execute(sql: "DELETE FROM states WHERE until_poll IS NOT NULL AND until_poll <= ?", arguments: [last])
        }
        let cutoffMinute = Int(((now - retention.rollups) / 60).rounded(.down))
        for table in ["service_minutes", "edge_minutes"] {
            guard let oldest = try Int.fetchOne(db, sql: "SELECT min(minute) FROM \(table)"), oldest < cutoffMinute else { continue }
            try db.execute(sql: "DELETE FROM \(table) WHERE minute < ?", arguments: [min(cutoffMinute, oldest + rollupMinutesPerStep)])
        }
        let rollupCutoff = now - retention.rollups
        try db.execute(sql: "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? ORDER BY at LIMIT ?)", arguments: [rollupCutoff, rowsPerStep])
        try db.execute(sql: """
            DELETE FROM config_revisions WHERE id IN (
                SELECT id FROM config_revisions r WHERE at < ? AND EXISTS (
                    SELECT 1 FROM config_revisions n WHERE n.kind = r.kind AND n.namespace = r.namespace AND n.name = r.name AND n.id > r.id)
                ORDER BY at LIMIT ?)
            """, arguments: [rollupCutoff, rowsPerStep])
        if sweepTexts {
            // Config texts no revision refers to any more.
            try db.execute(sql: "DELETE FROM config_texts WHERE hash NOT IN (SELECT hash FROM config_revisions WHERE hash IS NOT NULL)")
        }
    }
}
