import Foundation
import GRDB
import MeshModel

extension HistoryReader {
    /// The mesh as it was stored at `poll`: services and edges with that poll's metrics, the
    /// proxies, certificates, workloads, routes and sources in force then, health verdicts that
    /// depend on the clock re-evaluated at the poll's time, and the events up to it.
    public func snapshot(at poll: PollRef, thresholds: HealthThresholds = HealthThresholds(), eventLimit: Int = 500) throws -> MeshSnapshot {
        try database.read { db in
            var snapshot = MeshSnapshot(generatedAt: poll.at)
            let now = poll.at
            var servicesByKey: [String: Service] = [:]
            for state in try Self.states(db, at: poll.id) {
                switch state.kind {
                case "service":
                    let service = try Bodies.decode(Service.self, state.body)
                    servicesByKey[service.id] = service
                case "workload": snapshot.workloads.append(try Bodies.decode(Workload.self, state.body))
                case "proxy":
                    var proxy = try Bodies.decode(Proxy.self, state.body)
                    if let uptime = proxy.uptimeSeconds, let since = state.sinceAt { proxy.uptimeSeconds = uptime + now.timeIntervalSince1970 - since }
                    proxy.health = HealthRules.proxy(sync: proxy.sync, inSyncz: !proxy.sync.isEmpty, now: now, thresholds: thresholds)
                    snapshot.proxies.append(proxy)
                case "cert":
                    var certificate = try Bodies.decode(Certificate.self, state.body)
                    certificate.health = HealthRules.certificate(certificate, now: now, thresholds: thresholds)
                    snapshot.certificates.append(certificate)
                case "route": snapshot.routes.append(try Bodies.decode(RouteRule.self, state.body))
                case "policy": snapshot.destinationPolicies.append(try Bodies.decode(DestinationPolicy.self, state.body))
                case "findings": snapshot.findings = try Bodies.decode([Finding].self, state.body)
                case "source": snapshot.sources.append(try Bodies.decode(SourceStatus.self, state.body))
                default: break
                }
            }
            let values = "rps_milli, success_ppm, err5xx_ppm, err4xx_ppm, p50_us, p95_us, p99_us, health, reason"
            for row in try Row.fetchAll(db, sql: "SELECT n.name, \(values) FROM service_samples s JOIN names n ON n.id = s.service WHERE s.poll = ?",
                                        arguments: [poll.id]) {
                let point = Self.point(row, subject: row["name"], at: now.timeIntervalSince1970, samples: 1)
                var service = servicesByKey[point.subject] ?? Self.service(fromKey: point.subject)
                service.traffic = point.traffic
                service.health = point.health
                servicesByKey[point.subject] = service
            }
            snapshot.services = servicesByKey.values.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
            for row in try Row.fetchAll(db, sql: "SELECT n.name, \(values), mtls, shares FROM edge_samples s JOIN names n ON n.id = s.edge WHERE s.poll = ?",
                                        arguments: [poll.id]) {
                let name: String = row["name"]
                let point = Self.point(row, subject: name, at: now.timeIntervalSince1970, samples: 1)
                let (source, destination, proto) = Self.edgeParts(name)
                snapshot.edges.append(Edge(source: source, destination: destination, protocol: proto, mtls: (row["mtls"] as Int) != 0,
                                           traffic: point.traffic, versionShare: Shares.parse(row["shares"]), health: point.health))
            }
            snapshot.edges.sort { $0.id < $1.id }
            snapshot.proxies.sort { ($0.clusterID, $0.id) < ($1.clusterID, $1.id) }
            snapshot.certificates.sort { ($0.notAfter, $0.serial) < ($1.notAfter, $1.serial) }
            snapshot.workloads.sort { $0.id < $1.id }
            snapshot.routes = snapshot.routes.sorted { ($0.namespace, $0.virtualService, $0.index) < ($1.namespace, $1.virtualService, $1.index) }
                .map { $0.withObservedShares(edges: snapshot.edges, policies: snapshot.destinationPolicies) }
            snapshot.destinationPolicies.sort { $0.id < $1.id }
            snapshot.sources.sort { ($0.name, $0.url) < ($1.name, $1.url) }
            snapshot.findings += HealthRules.findings(snapshot)
            snapshot.events = try Self.events(db, from: .distantPast, to: now, limit: eventLimit)
            return snapshot
        }
    }

    struct StoredState {
        var kind: String
        var body: String
        var sinceAt: Double?
    }

    static func states(_ db: Database, at poll: Int64) throws -> [StoredState] {
        try Row.fetchAll(db, sql: """
            SELECT s.kind, s.body, p.at AS since_at FROM states s LEFT JOIN polls p ON p.id = s.since_poll
            WHERE s.since_poll <= ?1 AND (s.until_poll IS NULL OR s.until_poll >= ?1)
            """, arguments: [poll]).map { StoredState(kind: $0["kind"], body: $0["body"], sinceAt: $0["since_at"]) }
    }

    static func service(fromKey key: String) -> Service {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        let namespace = parts.count == 2 ? parts[0] : "", name = parts.last ?? key
        return Service(name: name, namespace: namespace, hostname: "\(name).\(namespace).svc.cluster.local")
    }

    /// `source->destination protocol` back into its parts.
    static func edgeParts(_ name: String) -> (String, String, String) {
        let space = name.lastIndex(of: " ")
        let id = space.map { String(name[..<$0]) } ?? name
        let proto = space.map { String(name[name.index(after: $0)...]) } ?? "http"
        let ends = id.components(separatedBy: "->")
        return (ends.first ?? id, ends.count > 1 ? ends[1] : "", proto)
    }

    // MARK: Proxies and certificates over time

    /// A proxy's state over an interval of polls.
    public struct ProxyInterval: Sendable {
        public var from: Date
        /// nil while it is still the current state.
        public var until: Date?
        public var proxy: Proxy
    }

    public func proxyIntervals(from: Date, to: Date) throws -> [ProxyInterval] {
        try intervals(kind: "proxy", from: from, to: to).map { from, until, body in
            ProxyInterval(from: from, until: until, proxy: try Bodies.decode(Proxy.self, body))
        }
    }

    public struct CertificateInterval: Sendable {
        public var from: Date
        public var until: Date?
        public var certificate: Certificate
    }

    public func certificateIntervals(from: Date, to: Date) throws -> [CertificateInterval] {
        try intervals(kind: "cert", from: from, to: to).map { from, until, body in
            CertificateInterval(from: from, until: until, certificate: try Bodies.decode(Certificate.self, body))
        }
    }

    func intervals(kind: String, from: Date, to: Date) throws -> [(Date, Date?, String)] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT coalesce(ps.at, (SELECT min(at) FROM polls)) AS since_at, pu.at AS until_at, s.until_poll, s.body
                FROM states s LEFT JOIN polls ps ON ps.id = s.since_poll LEFT JOIN polls pu ON pu.id = s.until_poll
                WHERE s.kind = ? AND (s.until_poll IS NULL OR pu.at >= ?) AND coalesce(ps.at, 0) <= ?
                ORDER BY s.key, s.since_poll
                """, arguments: [kind, from.timeIntervalSince1970, to.timeIntervalSince1970]).map { row in
                let since: Double = row["since_at"] ?? 0
                let until: Double? = row["until_at"]
                return (Date(timeIntervalSince1970: since), until.map { Date(timeIntervalSince1970: $0) }, row["body"])
            }
        }
    }
}
