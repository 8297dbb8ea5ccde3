import Foundation

/// When a feed polls next, as a value: `interval` after the previous poll started (so polls keep
/// their rhythm whatever each one costs), at once when asked to refresh or when the previous
/// poll overran its interval, and never while paused. Polls never overlap: the feed starts the
/// next only after the previous one ended.
public struct PollTimer: Sendable, Equatable {
    public let interval: TimeInterval
    public private(set) var lastStart: Date?
    public private(set) var paused = false
    public private(set) var refreshRequested = false

    public init(interval: TimeInterval) { self.interval = interval }

    /// When the next poll may start: `distantPast` when it is due at once, nil while paused.
    public var nextStart: Date? {
        guard !paused else { return nil }
        guard let lastStart, !refreshRequested else { return .distantPast }
        return lastStart.addingTimeInterval(interval)
    }

    /// A poll started at `date`.
    public mutating func started(at date: Date) {
        lastStart = date
        refreshRequested = false
    }

    /// Poll now (after a poll in progress ends); a paused feed stays paused.
    public mutating func refresh() { refreshRequested = true }

    public mutating func setPaused(_ value: Bool) { paused = value }
}
