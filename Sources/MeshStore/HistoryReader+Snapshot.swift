import Foundation
import GRDB
import MeshModel

extension HistoryReader {
    /// The mesh as it was stored at `poll`: services and edges with that poll's metrics, the
    /// proxies, certificates, workloads, routes and sources in force then, health verdicts that
    /// depend on the clock re-evaluated at the poll's time, and the events up to it.
    public func snapshot(at poll: StoredPoll, thresholds: HealthThresholds = HealthThresholds(), eventLimit: Int = 500) throws -> MeshSnapshot {
        try database.read { db in
            try snapshot(db, at: poll, thresholds: thresholds, eventLimit: eventLimit)
        }
    }

    func snapshot(_ db: Database, at poll: StoredPoll, thresholds: HealthThresholds, eventLimit: Int) throws -> MeshSnapshot {
        var snapshot = MeshSnapshot(generatedAt: poll.at)
        let now = poll.at
        var servicesByKey: [String: Service] = [:]
        for state in try states(db, at: poll.id) {
            switch state.value {
            case let .service(service): servicesByKey[service.id] = service
            case let .workload(workload): snapshot.workloads.append(workload)
            case var .proxy(proxy):
                if let uptime = proxy.uptimeSeconds, let since = state.sinceAt { proxy.uptimeSeconds = uptime + now.timeIntervalSince1970 - since }
                proxy.health = HealthRules.proxy(sync: proxy.sync, inSyncz: !proxy.sync.isEmpty, now: now, thresholds: thresholds)
                snapshot.proxies.append(proxy)
            case var .certificate(certificate):
                certificate.health = HealthRules.certificate(certificate, now: now, thresholds: thresholds)
                snapshot.certificates.append(certificate)
            case let .route(route): snapshot.routes.append(route)
            case let .policy(policy): snapshot.destinationPolicies.append(policy)
            case let .findings(findings): snapshot.findings = findings
            case let .source(source): snapshot.sources.append(source)
            }
        }
        let values = TrafficMetrics.columnNames.joined(separator: ", ") + ", health, reason"
        for row in try Row.fetchAll(db, sql: "SELECT n.name, \(values) FROM service_samples s JOIN names n ON n.id = s.service WHERE s.poll = ?",
                                    arguments: [poll.id]) {
            let point = Self.point(row, values: 1, reason: true, subject: row[0], at: now.timeIntervalSince1970, samples: 1)
            var service = servicesByKey[point.subject] ?? Self.service(fromKey: point.subject)
            service.traffic = point.traffic
            service.health = point.health
            servicesByKey[point.subject] = service
        }
        snapshot.services = servicesByKey.values.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        for row in try Row.fetchAll(db, sql: "SELECT n.name, \(values), mtls, shares FROM edge_samples s JOIN names n ON n.id = s.edge WHERE s.poll = ?",
                                    arguments: [poll.id]) {
            let name: String = row[0]
            let point = Self.point(row, values: 1, reason: true, subject: name, at: now.timeIntervalSince1970, samples: 1)
            let (source, destination, proto) = Self.edgeParts(name)
            snapshot.edges.append(Edge(source: source, destination: destination, protocol: proto, mtls: (row[9] as Int) != 0,
                                       traffic: point.traffic, versionShare: Shares.parse(row[10]), health: point.health))
        }
        // Sorted as the poller orders them (`Edge.id` builds a string per call: compare the parts).
        snapshot.edges.sort { $0.source != $1.source ? $0.source < $1.source : $0.destination < $1.destination }
        snapshot.proxies.sort { $0.clusterID != $1.clusterID ? $0.clusterID < $1.clusterID : $0.id < $1.id }
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

    struct StoredState {
        var kind: String
        var value: StateValue
        var sinceAt: Double?
    }

    /// The states in force at `poll`, decoded (bodies come from the cache when it has them).
    func states(_ db: Database, at poll: Int64) throws -> [StoredState] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT s.id, s.kind, p.at AS since_at FROM states s LEFT JOIN polls p ON p.id = s.since_poll
            WHERE s.since_poll <= ?1 AND (s.until_poll IS NULL OR s.until_poll >= ?1)
            """, arguments: [poll]).map { (id: $0[0] as Int64, kind: $0[1] as String, sinceAt: $0[2] as Double?) }
        var values = cache.lookup(rows.map(\.id))
        let missing = rows.filter { values[$0.id] == nil }.map(\.id)
        var decoded: [Int64: StateValue] = [:]
        for chunk in stride(from: 0, to: missing.count, by: 500).map({ missing[$0..<min($0 + 500, missing.count)] }) {
            let list = chunk.map(String.init).joined(separator: ",")
            for row in try Row.fetchAll(db, sql: "SELECT id, kind, body FROM states WHERE id IN (\(list))") {
                if let value = try StateValue.decodeStored(kind: row["kind"], body: row["body"]) { decoded[row["id"]] = value }
            }
        }
        cache.store(decoded)
        values.merge(decoded) { _, new in new }
        return rows.compactMap { row in values[row.id].map { StoredState(kind: row.kind, value: $0, sinceAt: row.sinceAt) } }
    }

    static func service(fromKey key: String) -> Service {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        let namespace = parts.count == 2 ? parts[0] : "", name = parts.last ?? key
        return Service(name: name, namespace: namespace, hostname: "\(name).\(namespace).svc.cluster.local")
    }

    /// `source->destination protocol` back into its parts.
    static func edgeParts(_ name: String) -> (String, String, String) {
        let space = name.lastIndex(of: " ") ?? name.endIndex
        let id = name[..<space]
        let proto = space < name.endIndex ? String(name[name.index(after: space)...]) : "http"
        guard let arrow = id.range(of: "->") else { return (String(id), "", proto) }
        return (String(id[..<arrow.lowerBound]), String(id[arrow.upperBound...]), proto)
    }

    // MARK: Proxies and certificates over time

    /// An entity's state over an interval of polls.
    public struct Interval<Value: Sendable>: Sendable {
        public var from: Date
        /// nil while it is still the current state.
        public var until: Date?
        public var value: Value
    }

    public func proxyIntervals(from: Date, to: Date) throws -> [Interval<Proxy>] { try intervals(kind: "proxy", from: from, to: to) }

    public func certificateIntervals(from: Date, to: Date) throws -> [Interval<Certificate>] { try intervals(kind: "cert", from: from, to: to) }

    func intervals<Value: Decodable & Sendable>(kind: String, from: Date, to: Date) throws -> [Interval<Value>] {
        try rawIntervals(kind: kind, from: from, to: to).map { Interval(from: $0, until: $1, value: try Bodies.decode(Value.self, $2)) }
    }

    func rawIntervals(kind: String, from: Date, to: Date) throws -> [(Date, Date?, String)] {
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
