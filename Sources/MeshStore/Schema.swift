import GRDB

/// The history store's schema (docs/history-store.md describes every table and column).
/// Raw samples are keyed by (poll, entity) and have no per-entity index on purpose: each poll
/// then appends to the end of one B-tree instead of touching a page per service (measured: an
/// index made every 2 s poll of 1,000 services write ~4 MB to the WAL). Per-entity raw queries
/// (the 15-minute chart) scan the poll range; longer ranges read the indexed rollups.
/// Values are stored as scaled integers so that rows stay small and read naturally with the
/// `sqlite3` tool: rates in milli-requests per second, shares in parts per million, latencies
/// in microseconds, times in Unix seconds (REAL) or Unix minutes (INTEGER). The success rate is
/// not stored: it is 1 − the 5xx share, as the poller derives it.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-raw", migrate: v1)
        migrator.registerMigration("v2-rollups", migrate: v2)
        return migrator
    }

    static let latest = "v2-rollups"

    /// Polls, raw per-poll samples, entity states as intervals, config revisions, events.
    static func v1(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE polls (
                id INTEGER PRIMARY KEY,
                at REAL NOT NULL,
                services INTEGER NOT NULL,
                proxies INTEGER NOT NULL,
                sources_failing INTEGER NOT NULL
            );
            CREATE INDEX polls_by_time ON polls(at);

            CREATE TABLE names (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                UNIQUE (kind, name)
            );

            CREATE TABLE service_samples (
                poll INTEGER NOT NULL,
                service INTEGER NOT NULL,
                rps_milli INTEGER NOT NULL,
                err5xx_ppm INTEGER,
                err4xx_ppm INTEGER,
                p50_us INTEGER,
                p95_us INTEGER,
                p99_us INTEGER,
                health INTEGER NOT NULL,
                reason TEXT,
                PRIMARY KEY (poll, service)
            ) WITHOUT ROWID;

            CREATE TABLE edge_samples (
                poll INTEGER NOT NULL,
                edge INTEGER NOT NULL,
                rps_milli INTEGER NOT NULL,
                err5xx_ppm INTEGER,
                err4xx_ppm INTEGER,
                p50_us INTEGER,
                p95_us INTEGER,
                p99_us INTEGER,
                health INTEGER NOT NULL,
                reason TEXT,
                mtls INTEGER NOT NULL,
                shares TEXT,
                PRIMARY KEY (poll, edge)
            ) WITHOUT ROWID;

            CREATE TABLE states (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL,
                key TEXT NOT NULL,
                since_poll INTEGER NOT NULL,
                until_poll INTEGER,
                body TEXT NOT NULL
            );
            CREATE INDEX states_by_until ON states(until_poll);

            CREATE TABLE config_texts (
                hash TEXT PRIMARY KEY,
                text TEXT NOT NULL
            ) WITHOUT ROWID;

            CREATE TABLE config_revisions (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL,
                namespace TEXT NOT NULL,
                name TEXT NOT NULL,
                hash TEXT,
                poll INTEGER NOT NULL,
                at REAL NOT NULL
            );
            CREATE INDEX config_revisions_by_object ON config_revisions(kind, namespace, name, at);
            CREATE INDEX config_revisions_by_time ON config_revisions(at);

            CREATE TABLE events (
                id INTEGER PRIMARY KEY,
                at REAL NOT NULL,
                kind TEXT NOT NULL,
                subject TEXT NOT NULL,
                message TEXT NOT NULL,
                severity TEXT NOT NULL,
                diff TEXT
            );
            CREATE INDEX events_by_time ON events(at);
            """)
    }

    /// One-minute rollups per service and edge, and the bookkeeping of how far they reach;
    /// existing raw samples are rolled up on migration. Keyed by minute (each minute's rows
    /// append together; keyed per entity, every minute touched a page per entity and ingest fell
    /// from 270k to 80k samples/s), with a per-entity index that also carries the values the
    /// charts draw (RPS, 5xx, p99), so a day's sparkline reads one contiguous index range
    /// instead of 1,440 scattered rows (p99 115 ms on a 6 GB file without it).
    static func v2(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE service_minutes (
                minute INTEGER NOT NULL,
                service INTEGER NOT NULL,
                samples INTEGER NOT NULL,
                rps_milli INTEGER NOT NULL,
                err5xx_ppm INTEGER,
                err4xx_ppm INTEGER,
                p50_us INTEGER,
                p95_us INTEGER,
                p99_us INTEGER,
                health INTEGER NOT NULL,
                PRIMARY KEY (minute, service)
            ) WITHOUT ROWID;
            CREATE INDEX service_minutes_by_service ON service_minutes(service, minute, rps_milli, err5xx_ppm, p99_us);

            CREATE TABLE edge_minutes (
                minute INTEGER NOT NULL,
                edge INTEGER NOT NULL,
                samples INTEGER NOT NULL,
                rps_milli INTEGER NOT NULL,
                err5xx_ppm INTEGER,
                err4xx_ppm INTEGER,
                p50_us INTEGER,
                p95_us INTEGER,
                p99_us INTEGER,
                health INTEGER NOT NULL,
                PRIMARY KEY (minute, edge)
            ) WITHOUT ROWID;
            CREATE INDEX edge_minutes_by_edge ON edge_minutes(edge, minute, rps_milli, err5xx_ppm, p99_us);

            CREATE TABLE store_meta (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            ) WITHOUT ROWID;
            """)
        if let last = try Double.fetchOne(db, sql: "SELECT max(at) FROM polls") {
            let through = Int((last / 60).rounded(.down)) - 1
            try Rollups.rollUp(db, fromMinute: Int.min / 2, throughMinute: through)
            try db.execute(sql: "INSERT INTO store_meta(key, value) VALUES ('rolled_up_through_minute', ?)", arguments: [String(through)])
        }
    }
}
