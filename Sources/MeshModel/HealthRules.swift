import Foundation


/// Health thresholds (product.md §6; Kiali-compatible defaults).
public struct HealthThresholds: Sendable, Codable, Equatable {
    public var serverErrorDegraded = 0.0
    public var serverErrorFailure = 0.10
    public var clientErrorDegraded = 0.10
    public var clientErrorFailure = 0.20
    /// A sync type STALE longer than this is Degraded.
    public var staleAfterSeconds = 60.0
    /// Leaf: warn below this share of lifetime left.
    public var leafTimeLeftRatio = 0.20
    /// Roots and intermediates: warn below this absolute time left.
    public var caTimeLeftSeconds = 30.0 * 86400
    /// Istio rotates leaves at 50 % of their lifetime; allow this much on top before "overdue".
    public var rotationPoint = 0.5
    public var rotationGrace = 0.1

    public init() {}
}

/// The rules that turn metrics, sync states and certificates into health verdicts.
public enum HealthRules {
    public static func traffic(_ metrics: TrafficMetrics, thresholds: HealthThresholds = HealthThresholds()) -> HealthVerdict {
        guard metrics.rps > 0 else { return HealthVerdict(.idle, reason: "no traffic") }
        let server = metrics.serverErrorRate ?? 0
        let client = metrics.clientErrorRate ?? 0
        // Small shares keep two decimals so that a 0.04 % error rate does not read "0.0 % > 0.0 %".
        let percent = { (value: Double) in String(format: value > 0 && value < 0.01 ? "%.2g %%" : "%.1f %%", value * 100) }
        if server >= thresholds.serverErrorFailure {
            return HealthVerdict(.failure, reason: "5xx \(percent(server)) ≥ \(percent(thresholds.serverErrorFailure))")
        }
        if client >= thresholds.clientErrorFailure {
            return HealthVerdict(.failure, reason: "4xx \(percent(client)) ≥ \(percent(thresholds.clientErrorFailure))")
        }
        if server > thresholds.serverErrorDegraded {
            return HealthVerdict(.degraded, reason: "5xx \(percent(server)) > \(percent(thresholds.serverErrorDegraded))")
        }
        if client >= thresholds.clientErrorDegraded {
            return HealthVerdict(.degraded, reason: "4xx \(percent(client)) ≥ \(percent(thresholds.clientErrorDegraded))")
        }
        return HealthVerdict(.healthy, reason: "no errors")
    }

    public static func proxy(sync: [XDSType: SyncState], inSyncz: Bool, now: Date,
                             thresholds: HealthThresholds = HealthThresholds()) -> HealthVerdict {
        guard inSyncz else { return HealthVerdict(.unknown, reason: "not in istiod's syncz") }
        for type in XDSType.allCases {
            guard let state = sync[type] else { continue }
            if state.status == .error { return HealthVerdict(.degraded, reason: "\(type.rawValue) ERROR: \(state.lastError ?? "rejected")") }
            if state.status == .stale || state.status == .staleNeverAcknowledged {
                let age = state.sentAt.map { now.timeIntervalSince($0) }
                if age == nil || age! > thresholds.staleAfterSeconds {
                    return HealthVerdict(.degraded, reason: "\(type.rawValue) STALE for \(age.map { "\(Int($0)) s" } ?? "an unknown time") > \(Int(thresholds.staleAfterSeconds)) s")
                }
            }
        }
        return HealthVerdict(.healthy, reason: "all xDS types synced")
    }

    /// A Linkerd or MOSN proxy (no xDS sync to judge): healthy while it says it can serve.
    public static func meshProxy(state: String?, kind: MeshKind) -> HealthVerdict {
        guard let state else { return HealthVerdict(.unknown, reason: "\(kind.mesh) proxy not read yet") }
        return state == "LIVE" ? HealthVerdict(.healthy, reason: "\(kind.mesh) proxy ready")
            : HealthVerdict(.degraded, reason: "\(kind.mesh) proxy \(state)")
    }

    public static func certificate(_ certificate: Certificate, now: Date, thresholds: HealthThresholds = HealthThresholds()) -> HealthVerdict {
        let left = certificate.timeLeft(at: now)
        if left <= 0 { return HealthVerdict(.critical, reason: "expired \(Durations.text(-left)) ago") }
        switch certificate.kind {
        case .leaf where !certificate.startKnown:
            // Only the expiry is known (pod-metrics tier): judged against Istio's default
            // 24 h workload lifetime, and said so.
            let floor = thresholds.leafTimeLeftRatio * 86400
            if left < floor {
                return HealthVerdict(.warning, reason: "expires in \(Durations.text(left)) < \(Durations.text(floor)) (issue time unknown)")
            }
            return HealthVerdict(.healthy, reason: "expires in \(Durations.text(left)) (issue time unknown)")
        case .leaf:
            let ratio = left / max(certificate.lifetime, 1)
            if ratio < thresholds.leafTimeLeftRatio {
                return HealthVerdict(.warning, reason: String(format: "%.0f %% of lifetime left < %.0f %%", ratio * 100, thresholds.leafTimeLeftRatio * 100))
            }
            if certificate.lifetimeUsed(at: now) > thresholds.rotationPoint + thresholds.rotationGrace {
                return HealthVerdict(.warning, reason: String(format: "rotation overdue: %.0f %% of lifetime used", certificate.lifetimeUsed(at: now) * 100))
            }
        case .root, .intermediate:
            if left < thresholds.caTimeLeftSeconds {
                return HealthVerdict(.warning, reason: "\(certificate.kind.rawValue) expires in \(Durations.text(left)) < \(Durations.text(thresholds.caTimeLeftSeconds))")
            }
        }
        return HealthVerdict(.healthy, reason: "expires in \(Durations.text(left))")
    }
}

extension HealthRules {
    /// Findings from health verdicts: certificates at warning or worse, degraded proxies,
    /// degraded or failing services (route validation findings come from the routes).
    public static func findings(_ snapshot: MeshSnapshot) -> [Finding] {
        var out: [Finding] = []
        for certificate in snapshot.certificates where certificate.health.health >= .warning {
            out.append(Finding(code: certificate.health.health == .critical ? "CERT_EXPIRED" : "CERT_EXPIRING",
                               severity: certificate.health.health == .critical ? .critical : .warning,
                               subject: "\(certificate.kind.rawValue) \(certificate.label) \(certificate.spiffeID ?? "")".trimmingCharacters(in: .whitespaces),
                               message: certificate.health.reason))
        }
        for proxy in snapshot.proxies where proxy.health.health >= .degraded {
            out.append(Finding(code: proxy.health.reason.contains("ERROR") ? "SYNC_ERROR" : "SYNC_STALE", severity: .warning,
                               subject: "proxy \(proxy.id)", message: proxy.health.reason))
        }
        for service in snapshot.services where service.health.health >= .degraded {
            out.append(Finding(code: service.health.health == .failure ? "SERVICE_FAILING" : "SERVICE_DEGRADED",
                               severity: service.health.health == .failure ? .critical : .warning,
                               subject: "service \(service.namespace)/\(service.name)", message: service.health.reason))
        }
        return out
    }
}

/// Short human durations: `45 s`, `12 min`, `5 h 3 min`, `29 d`.
public enum Durations {
    public static func text(_ seconds: TimeInterval) -> String {
        let value = Int(abs(seconds))
        if value < 120 { return "\(value) s" }
        if value < 7200 { return "\(value / 60) min" }
        if value < 3 * 86400 { return "\(value / 3600) h \(value % 3600 / 60) min" }
        return "\(value / 86400) d"
    }
}
