import GRDB

/// One-minute rollups of raw samples: the average of each value over the polls of the minute
/// (quantiles averaged too — an approximation every rollup of quantiles makes) and the worst
/// health seen in it.
enum Rollups {
    static func rollUp(_ db: Database, fromMinute: Int, throughMinute: Int) throws {
        guard throughMinute >= fromMinute else { return }
        let range = try Row.fetchOne(db, sql: "SELECT min(id), max(id) FROM polls WHERE at >= ? AND at < ?",
                                     arguments: [Double(fromMinute) * 60, Double(throughMinute + 1) * 60])
        guard let range else { return }
        let first: Int64? = range[0], last: Int64? = range[1]
        guard let first, let last else { return }
        for (table, key, target) in [("service_samples", "service", "service_minutes"), ("edge_samples", "edge", "edge_minutes")] {
            try db.execute(sql: """
                INSERT OR REPLACE INTO \(target)
                SELECT CAST(p.at / 60 AS INTEGER) AS minute, s.\(key), count(*), CAST(round(avg(s.rps_milli)) AS INTEGER),
                       CAST(round(avg(s.err5xx_ppm)) AS INTEGER),
                       CAST(round(avg(s.err4xx_ppm)) AS INTEGER), CAST(round(avg(s.p50_us)) AS INTEGER),
                       CAST(round(avg(s.p95_us)) AS INTEGER), CAST(round(avg(s.p99_us)) AS INTEGER), max(s.health)
                FROM \(table) s JOIN polls p ON p.id = s.poll
                WHERE s.poll BETWEEN ? AND ?
                GROUP BY minute, s.\(key)
                """, arguments: [first, last])
        }
    }
}
