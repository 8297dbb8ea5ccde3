import GRDBSQLite

/// An exclusive SQLite transaction on the file from another connection (as another process
/// would hold it), until `release()`.
public final class ExclusiveLock: @unchecked Sendable {
    // Safe: `connection` is used by the test's thread only.
    private var connection: OpaquePointer?

    public init(path: String) throws {
        guard sqlite3_open(path, &connection) == SQLITE_OK, sqlite3_exec(connection, "BEGIN EXCLUSIVE", nil, nil, nil) == SQLITE_OK else {
            throw LockFailed(path: path)
        }
    }

    public func release() {
        sqlite3_exec(connection, "COMMIT", nil, nil, nil)
        sqlite3_close(connection)
        connection = nil
    }

    deinit { if connection != nil { release() } }
}

public struct LockFailed: Error, CustomStringConvertible {
    public var path: String
    public var description: String { "cannot lock \(path)" }
}
