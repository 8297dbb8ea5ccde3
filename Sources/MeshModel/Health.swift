/// The health of a service, edge or proxy, ordered from best to worst so that
/// "the worst indicator wins" (product.md §6) is simply `max`.
public enum Health: String, Sendable, Codable, CaseIterable, Comparable {
    case healthy
    case idle
    case unknown
    case degraded
    case warning
    case failure
    case critical

    /// Rank used by `Comparable`: idle and unknown are not problems, so they sit between
    /// healthy and degraded.
    var rank: Int {
        switch self {
        case .healthy: 0
        case .idle: 1
        case .unknown: 2
        case .degraded: 3
        case .warning: 4
        case .failure: 5
        case .critical: 6
        }
    }

    public static func < (lhs: Health, rhs: Health) -> Bool { lhs.rank < rhs.rank }
}

/// A health verdict together with the rule that produced it (shown by the `w` key and
/// exported as `healthReason`).
public struct HealthVerdict: Sendable, Codable, Hashable {
    public var health: Health
    public var reason: String

    public init(_ health: Health, reason: String) {
        self.health = health
        self.reason = reason
    }

    /// The worse of two verdicts; on a tie the first one is kept.
    public static func worst(_ a: HealthVerdict, _ b: HealthVerdict) -> HealthVerdict {
        b.health > a.health ? b : a
    }
}
