/// How serious a finding is; also drives `snapshot --check` exit codes (product.md §2).
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    case info
    case warning
    case critical

    var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .critical: 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// A problem meshtop found: a validation error in routing config, an expiring certificate,
/// a stale proxy, an unhealthy service.
public struct Finding: Sendable, Codable, Hashable {
    /// Stable code, e.g. `ROUTE_SUBSET_UNDEFINED`, `CERT_EXPIRING`, `SYNC_STALE`.
    public var code: String
    public var severity: Severity
    /// What the finding is about, e.g. `VirtualService default/reviews` or a proxy id.
    public var subject: String
    /// One-line reason an operator can act on.
    public var message: String

    public init(code: String, severity: Severity, subject: String, message: String) {
        self.code = code
        self.severity = severity
        self.subject = subject
        self.message = message
    }
}
