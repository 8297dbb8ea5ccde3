import Foundation
import GRDB

/// Retention of the history store (product.md §7); configurable.
public struct Retention: Sendable, Equatable {
    /// Raw per-poll samples are kept this long…
    public var raw: TimeInterval = 24 * 3600
    /// …and one-minute rollups, events and superseded config revisions this long.
    public var rollups: TimeInterval = 30 * 86400

    public init(raw: TimeInterval = 24 * 3600, rollups: TimeInterval = 30 * 86400) {
        self.raw = raw
        self.rollups = rollups
    }
}

/// Errors opening or using the store, naming the file.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Opens the SQLite history file (WAL, `synchronous=NORMAL`, mode 0600, migrated to the latest
/// schema) or an in-memory database, and hands out its writer and readers.
public struct HistoryStore: Sendable {
    /// `:memory:` or a file path.
    public let path: String
    let database: any DatabaseWriter
    /// Shared by every reader of this store (see StateCache).
    let stateCache = StateCache()
    /// Where readers' async queries run (`HistoryReader.perform`).
    let readQueue = StoreQueue(label: "meshtop.store.read")

    /// The default file: `$XDG_STATE_HOME/meshtop/history.db` (`~/.local/state/…`).
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state"
        return state + "/meshtop/history.db"
    }

    /// Opens (creating and migrating) the store. `readOnly` opens an existing file for queries
    /// only, the way a dashboard reads what a recorder writes. A write waits up to `busyTimeout`
    /// for a lock another process holds.
    public init(path: String, readOnly: Bool = false, busyTimeout: TimeInterval = 10) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.readonly = readOnly
        configuration.label = "meshtop history"
        if !readOnly {
            // The writer may cache up to 64 MB: a minute of raw samples stays in memory until it
            // is rolled up (at 2 MB, ingest of 1,000 services fell from ~205k to ~167k samples/s,
            // `meshtop-bench store --hours 0.25`). The writer releases that cache after each
            // rollup (`HistoryWriter.record`), so it holds one minute of writes, not the file.
            // Readers (the pool's other connections) keep SQLite's default 2 MB each.
            configuration.prepareDatabase { db in
                try db.execute(sql: db.configuration.readonly ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536")
            }
        }
        do {
            if path == ":memory:" {
                database = try DatabaseQueue(configuration: configuration)
            } else {
                if readOnly {
                    guard FileManager.default.fileExists(atPath: path) else { throw StoreError("history store \(path): no such file") }
                } else {
                    try Self.createPrivately(path)
                }
                database = try DatabasePool(path: path, configuration: configuration)
            }
            if !readOnly {
                try Schema.migrator.migrate(database)
            } else if try database.read({ db in try !Schema.migrator.hasCompletedMigrations(db) }) {
                throw StoreError("history store \(path): written by a different meshtop version (schema not at \(Schema.latest))")
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("history store \(path): \(error)")
        }
    }

    /// Creates the parent directory (0700) and an empty file with mode 0600 before SQLite opens
    /// it; SQLite gives its -wal and -shm files the same mode.
    static func createPrivately(_ path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            // mkdir -p with mode 0700, so the error names the cause (errno), not a Foundation domain.
            var partial = directory.hasPrefix("/") ? "" : "."
            for component in directory.split(separator: "/") {
                partial += "/" + component
                if mkdir(partial, 0o700) != 0, errno != EEXIST {
                    throw StoreError("history store \(path): cannot create the directory \(partial) (\(String(cString: strerror(errno))))")
                }
            }
        }
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError("history store \(path): cannot create (\(String(cString: strerror(errno))))") }
        close(fd)
    }

    public var reader: HistoryReader { HistoryReader(database: database, cache: stateCache, queue: readQueue) }

    /// The writer; one per store (see `WriterLock` for one per file across processes).
    public func writer(retention: Retention = Retention()) throws -> HistoryWriter {
        try HistoryWriter(database: database, retention: retention)
    }

    /// Names of the migrations applied, oldest first (for tests and `history` diagnostics).
    public func appliedMigrations() throws -> [String] {
        try database.read { db in try Array(Schema.migrator.appliedMigrations(db)) }
    }

    /// `PRAGMA integrity_check` result: "ok" when the file is sound.
    public func integrityCheck() throws -> String {
        try database.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }
}

/// An advisory lock next to the database so that one process writes a file at a time: a second
/// console on the same file reads what the first records instead of interleaving its own polls.
public final class WriterLock: Sendable {
    let fd: Int32

    /// Takes the lock or returns nil when another process holds it.
    public init?(databasePath: String) {
        guard databasePath != ":memory:" else { return nil }
        let fd = open(databasePath + ".writer-lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        self.fd = fd
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

extension HistoryStore {
    /// Bytes per table and index (SQLite's dbstat when compiled in, else page counts by table).
    public func tableSizes() throws -> [(name: String, bytes: Int)] {
        try database.read { db in
            if let rows = try? Row.fetchAll(db, sql: "SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC") {
                return rows.map { (name: $0["name"], bytes: $0["bytes"]) }
            }
            return []
        }
    }

    /// Minutes of history the rollup tables cover.
    public func rollupMinutes() throws -> Double {
        try database.read { db in
            Double(try Int.fetchOne(db, sql: "SELECT count(DISTINCT minute) FROM service_minutes") ?? 0)
        }
    }
}
