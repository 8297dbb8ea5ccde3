import Foundation
import MeshModel

/// The value of one stored entity state. Compared with `==` against the open interval's value
/// (cheaper than hashing thousands of proxies per poll); encoded only when it changed.
enum StateValue: Equatable {
    case service(Service)
    case workload(Workload)
    case proxy(Proxy)
    case certificate(Certificate)
    case route(RouteRule)
    case policy(DestinationPolicy)
    case findings([Finding])
    case source(SourceStatus)

    /// Same value, compared payload to payload (the synthesized `==` of each model type).
    func same(_ other: StateValue) -> Bool {
        switch (self, other) {
        case let (.service(a), .service(b)): a == b
        case let (.workload(a), .workload(b)): a == b
        case let (.proxy(a), .proxy(b)): a == b
        case let (.certificate(a), .certificate(b)): a == b
        case let (.route(a), .route(b)): a == b
        case let (.policy(a), .policy(b)): a == b
        case let (.findings(a), .findings(b)): a == b
        case let (.source(a), .source(b)): a == b
        default: false
        }
    }

    var kind: String {
        switch self {
        case .service: "service"
        case .workload: "workload"
        case .proxy: "proxy"
        case .certificate: "cert"
        case .route: "route"
        case .policy: "policy"
        case .findings: "findings"
        case .source: "source"
        }
    }

    func body() throws -> String {
        switch self {
        case let .service(value): try Bodies.encode(value)
        case let .workload(value): try Bodies.encode(value)
        case let .proxy(value): try Bodies.encode(value)
        case let .certificate(value): try Bodies.encode(value)
        case let .route(value): try Bodies.encode(value)
        case let .policy(value): try Bodies.encode(value)
        case let .findings(value): try Bodies.encode(value)
        case let .source(value): try Bodies.encode(value)
        }
    }

    /// A stored body as the value it is compared by (proxies without their uptime).
    static func decode(kind: String, body: String) throws -> StateValue? {
        if case let .proxy(proxy)? = try decodeStored(kind: kind, body: body) { return .proxy(StateCodec.comparable(proxy)) }
        return try decodeStored(kind: kind, body: body)
    }

    /// A stored body as written.
    static func decodeStored(kind: String, body: String) throws -> StateValue? {
        switch kind {
        case "service": .service(try Bodies.decode(Service.self, body))
        case "workload": .workload(try Bodies.decode(Workload.self, body))
        case "proxy": .proxy(try Bodies.decode(Proxy.self, body))
        case "cert": .certificate(try Bodies.decode(Certificate.self, body))
        case "route": .route(try Bodies.decode(RouteRule.self, body))
        case "policy": .policy(try Bodies.decode(DestinationPolicy.self, body))
        case "findings": .findings(try Bodies.decode([Finding].self, body))
        case "source": .source(try Bodies.decode(SourceStatus.self, body))
        default: nil
        }
    }
}

/// One entity's state for the `states` table: `value` is what is compared, `stored` what is
/// written when it changed (a proxy's body keeps the uptime its comparison leaves out).
struct StateEntry {
    var key: String
    var value: StateValue
    var stored: StateValue

    init(key: String, value: StateValue, stored: StateValue? = nil) {
        self.key = key
        self.value = value
        self.stored = stored ?? value
    }
}

/// Which parts of a snapshot are stored as states, and how each is normalised: health verdicts
/// that depend on the clock (certificate time left, STALE for N s) are recomputed when read,
/// and values that always move (uptime, latency, observed shares) are not part of the value.
enum StateCodec {
    static let blank = HealthVerdict(.unknown, reason: "")
    /// Codes of findings derived from health (recomputed when read); others are stored.
    static let healthFindingCodes: Set<String> = ["CERT_EXPIRED", "CERT_EXPIRING", "SYNC_ERROR", "SYNC_STALE", "SERVICE_FAILING", "SERVICE_DEGRADED"]

    static func entries(_ snapshot: MeshSnapshot) -> [StateEntry] {
        var out: [StateEntry] = []
        out.reserveCapacity(snapshot.services.count + snapshot.proxies.count + snapshot.certificates.count + snapshot.sources.count + 64)
        for service in snapshot.services { out.append(StateEntry(key: service.id, value: .service(staticPart(service)))) }
        for workload in snapshot.workloads { out.append(StateEntry(key: workload.id, value: .workload(workload))) }
        for proxy in snapshot.proxies {
            var stored = proxy
            stored.health = blank
            out.append(StateEntry(key: proxy.id, value: .proxy(comparable(stored)), stored: .proxy(stored)))
        }
        for certificate in snapshot.certificates {
            var stored = certificate
            stored.health = blank
            out.append(StateEntry(key: certificate.id, value: .certificate(stored)))
        }
        for route in snapshot.routes { out.append(StateEntry(key: route.id, value: .route(route.configured))) }
        for policy in snapshot.destinationPolicies { out.append(StateEntry(key: policy.id, value: .policy(policy))) }
        out.append(StateEntry(key: "config", value: .findings(snapshot.findings.filter { !healthFindingCodes.contains($0.code) })))
        for source in snapshot.sources { out.append(StateEntry(key: "\(source.name) \(source.url)", value: .source(comparable(source)))) }
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
        proxy.health = blank
        return proxy
    }

    static func comparable(_ source: SourceStatus) -> SourceStatus {
        var source = source
        source.latencyMs = nil
        source.lastSuccess = nil
        return source
    }
}
