import Foundation

/// A poll kept in the history store: its id (increasing with time) and when it was taken.
/// Time travel moves between these.
public struct StoredPoll: Sendable, Hashable {
    public var id: Int64
    public var at: Date

    public init(id: Int64, at: Date) {
        self.id = id
        self.at = at
    }
}
