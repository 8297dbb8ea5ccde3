import Foundation
import MeshModel

/// One entity's state for the `states` table: compared by `hash` of its comparable value (what
/// changes only when the entity really changes), encoded as JSON only when it did change.
struct StateEntry {
    var kind: String
    var key: String
    var hash: Int
    var body: () throws -> String
}

/// Which parts of a snapshot are stored as states, and how each is normalised: health verdicts
/// that depend on the clock (certificate time left, STALE for N s) are recomputed when read,
/// and counters that always move (uptime, latency, observed shares) are not part of the value.
enum StateCodec {
    static let blank = HealthVerdict(.unknown, reason: "")
    /// Codes of findings derived from health (recomputed when read); others are stored.
    static let healthFindingCodes: Set<String> = ["CERT_EXPIRED", "CERT_EXPIRING", "SYNC_ERROR", "SYNC_STALE", "SERVICE_FAILING", "SERVICE_DEGRADED"]

    static func entries(_ snapshot: MeshSnapshot) -> [StateEntry] {
        var out: [StateEntry] = []
        func add<T: Encodable & Hashable>(_ kind: String, _ key: String, _ value: T, comparable: T? = nil) {
            out.append(StateEntry(kind: kind, key: key, hash: (comparable ?? value).hashValue, body: { try Bodies.encode(value) }))
        }
        for service in snapshot.services { add("service", service.id, staticPart(service)) }
        for workload in snapshot.workloads { add("workload", workload.id, workload) }
        for proxy in snapshot.proxies {
            var stored = proxy
            stored.health = blank
            add("proxy", proxy.id, stored, comparable: comparable(stored))
        }
        for certificate in snapshot.certificates {
            var stored = certificate
            stored.health = blank
            add("cert", certificate.serial, stored)
        }
        for route in snapshot.routes { add("route", route.id, route.configured) }
        for policy in snapshot.destinationPolicies { add("policy", policy.id, policy) }
        add("findings", "config", snapshot.findings.filter { !healthFindingCodes.contains($0.code) })
        for source in snapshot.sources { add("source", "\(source.name) \(source.url)", comparable(source)) }
        return out
    }

    static func staticPart(_ service: Service) -> Service {
        var stored = service
        stored.traffic = TrafficMetrics()
        stored.health = blank
        return stored
    }

    static func comparable(_ proxy: Proxy) -> Proxy {
        var proxy = proxy
        proxy.uptimeSeconds = nil
        return proxy
    }

    static func comparable(_ source: SourceStatus) -> SourceStatus {
        var source = source
        source.latencyMs = nil
        source.lastSuccess = nil
        return source
    }

    /// The hash a stored body had when written (to resume after a restart).
    static func hash(kind: String, body: String) -> Int {
        do {
            switch kind {
            case "service": return try Bodies.decode(Service.self, body).hashValue
            case "workload": return try Bodies.decode(Workload.self, body).hashValue
            case "proxy": return comparable(try Bodies.decode(Proxy.self, body)).hashValue
            case "cert": return try Bodies.decode(Certificate.self, body).hashValue
            case "route": return try Bodies.decode(RouteRule.self, body).hashValue
            case "policy": return try Bodies.decode(DestinationPolicy.self, body).hashValue
            case "findings": return try Bodies.decode([Finding].self, body).hashValue
            case "source": return try Bodies.decode(SourceStatus.self, body).hashValue
            default: return 0
            }
        } catch {
            // An unreadable row is simply replaced by the next poll's value.
            return 0
        }
    }
}
