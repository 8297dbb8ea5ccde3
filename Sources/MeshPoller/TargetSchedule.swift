import Foundation
import MeshSources

/// One proxy target's schedule, as a value with explicit transitions: whether it is polled now
/// or waits out a backoff after failures, when its certificates and server info and its route
/// and cluster sets are next due, and how it did last. The poller keeps one per target and
/// changes it only through these methods; randomness (backoff jitter, the spread of refreshes)
/// comes in as arguments, so every transition is a pure function.
struct TargetSchedule: Equatable, Sendable {
    /// Failed polls in a row (0 after a success).
    private(set) var consecutiveFailures = 0
    /// Not polled before this, after a failure.
    private(set) var retryAt: Date?
    private(set) var lastError: SourceError?
    private(set) var lastSuccess: Date?
    /// Certificates, secrets and server info: re-read at or after this.
    private(set) var detailsDueAt: Date?
    /// The version key the route and cluster sets were read at, and when.
    private(set) var configVersion: String?
    private(set) var configReadAt: Date?

    /// Backoff for failing targets: the first retry after `base`, doubling to `ceiling`.
    struct Backoff: Equatable, Sendable {
        var base: TimeInterval
        var ceiling: TimeInterval

        /// The wait after `failures` failures in a row, times `jitter` (0.5–1.5: failing proxies
        /// that failed together do not all come back in the same poll).
        func delay(failures: Int, jitter: Double) -> TimeInterval {
            min(ceiling, base * pow(2, Double(max(0, failures - 1)))) * jitter
        }
    }

    /// Polled this poll, or waiting for its retry.
    func isDue(at now: Date) -> Bool { retryAt.map { $0 <= now } ?? true }

    /// The poll read everything it asked for.
    mutating func succeeded(at now: Date) {
        consecutiveFailures = 0
        retryAt = nil
        lastError = nil
        lastSuccess = now
    }

    /// The poll failed with `error`: wait `backoff`'s delay (times `jitter`) before the next.
    mutating func failed(_ error: SourceError, at now: Date, backoff: Backoff, jitter: Double) {
        consecutiveFailures += 1
        lastError = error
        retryAt = now.addingTimeInterval(backoff.delay(failures: consecutiveFailures, jitter: jitter))
    }

    /// The details must be read this poll (never read, or their time came).
    func detailsDue(at now: Date) -> Bool { detailsDueAt.map { now >= $0 } ?? true }

    /// The details were read at `now`: next due after `refresh` times `spread` (0.5–1: at 5,000
    /// proxies, every proxy coming due in the same poll made that poll 27 s instead of 7).
    mutating func detailsRead(at now: Date, refresh: TimeInterval, spread: Double) {
        detailsDueAt = now.addingTimeInterval(refresh * spread)
    }

    /// The version key to read the configs at, or nil when they need no reading: with istiod,
    /// a change of the acknowledged CDS/RDS nonces (`acknowledged`); without, `refresh` after the
    /// last read.
    func configDue(acknowledged: String?, at now: Date, refresh: TimeInterval) -> String? {
        if let acknowledged { return acknowledged == configVersion ? nil : acknowledged }
        if let configReadAt, now.timeIntervalSince(configReadAt) < refresh { return nil }
        return "read \(now.timeIntervalSince1970)"
    }

    /// The configs were read at `version`.
    mutating func configsRead(version: String, at now: Date) {
        configVersion = version
        configReadAt = now
    }
}
