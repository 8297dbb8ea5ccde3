import Foundation

/// The xDS resource types istioctl proxy-status shows as columns.
public enum XDSType: String, Sendable, Codable, CaseIterable, CodingKeyRepresentable {
    case cds = "CDS"
    case lds = "LDS"
    case eds = "EDS"
    case rds = "RDS"
    case ecds = "ECDS"

    /// The v3 type URL of the resources of this type.
    public var typeURL: String {
        switch self {
        case .cds: "type.googleapis.com/envoy.config.cluster.v3.Cluster"
        case .lds: "type.googleapis.com/envoy.config.listener.v3.Listener"
        case .eds: "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
        case .rds: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
        case .ecds: "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig"
        }
    }

    /// The field prefix istiod's `/debug/syncz` uses (`cluster_sent`, `listener_acked`, …).
    public var synczPrefix: String {
        switch self {
        case .cds: "cluster"
        case .lds: "listener"
        case .eds: "endpoint"
        case .rds: "route"
        case .ecds: "extensionconfig"
        }
    }
}

/// The sync state of one xDS type on one proxy, exactly as `istioctl proxy-status` derives it
/// (mesh-apis.md §1.2 and §1.4).
public enum SyncStatus: String, Sendable, Codable, CaseIterable {
    case synced = "SYNCED"
    case notSent = "NOT SENT"
    case stale = "STALE"
    case staleNeverAcknowledged = "STALE (Never Acknowledged)"
    case error = "ERROR"
    case ignored = "IGNORED"
}

/// A sync status with the time it was last known to change (for "STALE for 2m" ages).
public struct SyncState: Sendable, Codable, Hashable {
    public var status: SyncStatus
    /// When the last push of this type was sent, if known.
    public var sentAt: Date?
    /// The NACK detail when `status == .error`.
    public var lastError: String?

    public init(status: SyncStatus, sentAt: Date? = nil, lastError: String? = nil) {
        self.status = status
        self.sentAt = sentAt
        self.lastError = lastError
    }

    /// istioctl's legacy rule from nonces: sent/acked equality decides.
    public static func derive(
        sent: String?, acked: String?, lastError: String? = nil, proxyType: ProxyType = .sidecar
    ) -> SyncStatus {
        let sent = sent ?? ""
        let acked = acked ?? ""
        if let lastError, !lastError.isEmpty { return .error }
        if sent.isEmpty { return proxyType == .ztunnel ? .ignored : .notSent }
        if sent == acked { return .synced }
        if acked.isEmpty { return .staleNeverAcknowledged }
        return .stale
    }
}
