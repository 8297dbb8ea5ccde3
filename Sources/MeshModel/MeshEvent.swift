import Foundation

/// One entry of the timeline (product.md §4.7): something changed in the mesh, or an operator
/// did something. Derived per poll by `EventDeriver`, stored by the history store, shown by the
/// Events view and exported by `snapshot`.
public struct MeshEvent: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A service changed health (Healthy → Degraded, …).
        case health
        /// A proxy's xDS sync went stale or errored, or recovered.
        case sync
        /// A certificate crossed a threshold (warning, expired) or recovered from one.
        case certificate
        /// A configuration object was added, changed or removed (carries a unified diff).
        case config
        /// A source started failing or recovered.
        case source
        /// An operator action from the console, with its result.
        case action
        /// A proxy's server state changed (LIVE → DRAINING after a drain, back after a restore).
        case proxyState = "state"
    }

    public var at: Date
    public var kind: Kind
    /// What the event is about: `service default/reviews`, `proxy reviews-v1-…`, `VirtualService default/reviews`.
    public var subject: String
    public var message: String
    public var severity: Severity
    /// A unified diff for config changes.
    public var diff: String?

    public init(at: Date, kind: Kind, subject: String, message: String, severity: Severity, diff: String? = nil) {
        self.at = at
        self.kind = kind
        self.subject = subject
        self.message = message
        self.severity = severity
        self.diff = diff
    }
}
