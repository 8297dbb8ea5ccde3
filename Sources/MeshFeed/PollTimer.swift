import Foundation

/// When a feed polls next, as a value: `interval` after the previous poll started (so polls keep
/// their rhythm whatever each one costs), at once when asked to refresh or when the previous
/// poll overran its interval, and never while paused. Polls never overlap: the feed starts the
/// next only after the previous one ended. On the continuous clock, so a wall-clock step (NTP,
/// a resumed laptop) neither stops polling nor bunches polls up.
public struct PollTimer: Sendable, Equatable {
    public typealias Instant = ContinuousClock.Instant

    public let interval: Duration
    public private(set) var lastStart: Instant?
    public private(set) var paused = false
    public private(set) var refreshRequested = false

    public init(interval: TimeInterval) { self.interval = .seconds(interval) }

    /// What comes next.
    public enum Next: Sendable, Equatable {
        case now
        case at(Instant)
        case paused
    }

    public var next: Next {
        guard !paused else { return .paused }
        guard let lastStart, !refreshRequested else { return .now }
        return .at(lastStart + interval)
    }

    /// A poll started at `instant`.
    public mutating func started(at instant: Instant) {
        lastStart = instant
        refreshRequested = false
    }

    /// Poll now (after a poll in progress ends); a paused feed stays paused.
    public mutating func refresh() { refreshRequested = true }

    public mutating func setPaused(_ value: Bool) { paused = value }
}
