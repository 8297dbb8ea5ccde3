import Foundation
import MeshModel
import MeshStore
import MeshUI

/// The stored polls time travel moves over (the history store's reader, or a list in tests).
public protocol StoredPollIndex {
    func latestPoll() throws -> StoredPoll?
    func oldestPoll() throws -> StoredPoll?
    func poll(before id: Int64) throws -> StoredPoll?
    func poll(after id: Int64) throws -> StoredPoll?
    func poll(atOrBefore date: Date) throws -> StoredPoll?
}

extension HistoryReader: StoredPollIndex {}

/// Where time travel stands and where `[`, `]` and `:at` take it. The position lives here, not
/// in the app state, so keys pressed faster than the store answers still step one poll each.
public struct TimeTravel: Sendable, Equatable {
    /// The stored poll shown; nil while live.
    public private(set) var position: StoredPoll?

    public init() {}

    /// What a request leads to.
    public enum Step: Sendable, Equatable {
        /// Show the stored state at this poll.
        case show(StoredPoll)
        /// Stepped past the newest stored poll: back to live.
        case live
        /// Nothing to tell (`:live` while live, or back to live on the user's own word).
        case stay
        /// Nowhere to go, with the reason to show; the position is unchanged.
        case unavailable(String)
    }

    public mutating func go(_ request: TravelRequest, in polls: some StoredPollIndex) throws -> Step {
        let next: StoredPoll?
        switch request {
        case .back:
            next = try position.map { try polls.poll(before: $0.id) } ?? polls.latestPoll()
            guard next != nil else { return .unavailable(position == nil ? "nothing stored yet" : "oldest stored poll") }
        case .forward:
            next = try position.flatMap { try polls.poll(after: $0.id) }
        case let .to(date):
            next = try polls.poll(atOrBefore: date)
            guard next != nil else {
                let oldest = try polls.oldestPoll().map { Clock.hms($0.at) }
                return .unavailable(oldest.map { "nothing stored that early (oldest \($0))" } ?? "nothing stored yet")
            }
        case .live:
            next = nil
        }
        position = next
        if let next { return .show(next) }
        return request == .live ? .stay : .live
    }
}
