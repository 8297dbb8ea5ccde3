import Foundation
import MeshModel

/// The stable export schema (`schemaVersion: 1`, schemas/snapshot-v1.schema.json). Field names
/// never change within a schema version; the model may evolve behind it.
public struct SnapshotExport: Codable, Sendable {
    public struct Source: Codable, Sendable { var name: String; var url: String; var ok: Bool; var error: String?; var latencyMs: Double? }
    public struct Latency: Codable, Sendable { var p50: Double?; var p95: Double?; var p99: Double? }
    public struct Mesh: Codable, Sendable {
        var services: Int; var proxies: Int; var rps: Double; var successRate: Double?
        var sync: [String: Int]; var soonestCertExpiry: Date?; var findings: [String: Int]
    }
    public struct ServiceRow: Codable, Sendable {
        var name: String; var namespace: String; var hostname: String; var versions: [String]
        var rps: Double; var successRate: Double?; var latencyMs: Latency; var health: String; var healthReason: String
        /// Which mesh the row belongs to (`istio`, `linkerd`, `mosn`) and which source its numbers came
        /// from (`envoy`, `prometheus`, `linkerd-proxy`, `mosn-admin`, `istiod`).
        var mesh: String?; var dataSource: String?
        /// `sidecar`, `ambient`, `ambient+waypoint` or `none`; omitted when not known.
        var dataplaneMode: String?
        /// Connection-level traffic from ztunnels; omitted where none measures it.
        var l4: L4Row?
    }
    public struct L4Row: Codable, Sendable { var bytesInPerSecond: Double; var bytesOutPerSecond: Double; var connectionsPerSecond: Double; var mtlsShare: Double? }
    /// A workload with its data-plane mode (only those whose mode is known).
    public struct WorkloadRow: Codable, Sendable { var name: String; var namespace: String; var app: String; var version: String; var dataplaneMode: String }
    /// An ambient node's ztunnel: its identities' certificates and how it is.
    public struct ZtunnelIdentityRow: Codable, Sendable { var identity: String; var state: String; var reason: String?; var notAfter: Date?; var timeLeftSeconds: Double? }
    public struct ZtunnelRow: Codable, Sendable {
        var id: String; var node: String; var version: String?; var workloads: Int; var answered: Bool
        var soonestExpiry: Date?; var identities: [ZtunnelIdentityRow]; var health: String; var healthReason: String
        /// Its workload discovery's state in istiod's syncz (`SYNCED`, `STALE`, …); omitted when istiod does not list it.
        var wds: String?
    }
    public struct EdgeRow: Codable, Sendable {
        var source: String; var destination: String; var `protocol`: String; var mtls: Bool
        var rps: Double; var successRate: Double?; var latencyMs: Latency; var versionShare: [String: Double]
        var health: String; var healthReason: String
        var mesh: String?; var dataSource: String?
        var l4: L4Row?
    }
    public struct SyncCell: Codable, Sendable { var state: String; var ageSeconds: Double?; var error: String? }
    public struct ProxyRow: Codable, Sendable {
        var id: String; var cluster: String; var type: String; var istiod: String?; var version: String?
        var envoyVersion: String?; var state: String?; var sync: [String: SyncCell]; var health: String; var healthReason: String
        var mesh: String?; var dataSource: String?; var note: String?; var clusters: [ClusterRow]?
    }
    public struct ClusterRow: Codable, Sendable { var name: String; var endpoints: Int; var healthy: Int }
    public struct CertRow: Codable, Sendable {
        var serial: String?; var kind: String; var spiffeId: String?; var subject: String?; var notBefore: Date?; var notAfter: Date
        var timeLeftSeconds: Double; var lifetimeUsed: Double?; var rotationOverdue: Bool; var proxies: [String]
        var health: String; var healthReason: String
    }
    public struct Destination: Codable, Sendable { var host: String; var subset: String?; var port: Int?; var weight: Int?; var observedShare: Double? }
    public struct Retries: Codable, Sendable { var attempts: Int; var perTryTimeout: String?; var retryOn: String? }
    public struct Fault: Codable, Sendable { var delayPercent: Double?; var fixedDelay: String?; var abortPercent: Double?; var abortStatus: Int? }
    public struct FindingRow: Codable, Sendable { var code: String; var severity: String; var subject: String; var message: String }
    public struct RouteRow: Codable, Sendable {
        var virtualService: String; var namespace: String; var hosts: [String]; var index: Int; var name: String?
        var matches: [String]; var destinations: [Destination]; var timeout: String?; var retries: Retries?
        var fault: Fault?; var mirror: String?; var findings: [FindingRow]
    }
    public struct Event: Codable, Sendable { var at: Date; var kind: String; var subject: String; var message: String }

    public var schemaVersion = 1
    public var generatedAt: Date
    /// Omitted (nil) when no Kubernetes cluster was polled.
    public var access: [ClusterAccess]?
    public var sources: [Source]
    public var mesh: Mesh
    public var services: [ServiceRow]
    /// Workloads whose data-plane mode is known; omitted when none is.
    public var workloads: [WorkloadRow]?
    /// Omitted when the mesh has no ambient part.
    public var ztunnels: [ZtunnelRow]?
    public var edges: [EdgeRow]
    public var proxies: [ProxyRow]
    public var certs: [CertRow]
    public var routes: [RouteRow]
    public var findings: [FindingRow]
    public var events: [Event]

    public init(_ snapshot: MeshSnapshot, thresholds: HealthThresholds = HealthThresholds()) {
        let now = snapshot.generatedAt
        let round = { (value: Double?) in value.map { ($0 * 10000).rounded() / 10000 } }
        let latency = { (metrics: TrafficMetrics) in
            Latency(p50: round(metrics.latencyMs.p50), p95: round(metrics.latencyMs.p95), p99: round(metrics.latencyMs.p99))
        }
        let l4Row = { (traffic: L4Traffic) in
            L4Row(bytesInPerSecond: round(traffic.bytesInPerSecond) ?? 0, bytesOutPerSecond: round(traffic.bytesOutPerSecond) ?? 0,
                  connectionsPerSecond: round(traffic.connectionsPerSecond) ?? 0, mtlsShare: round(traffic.mtlsShare))
        }
        generatedAt = now
        access = snapshot.access
        sources = snapshot.sources.map { Source(name: $0.name, url: $0.url, ok: $0.ok, error: $0.error, latencyMs: round($0.latencyMs)) }
        let total = snapshot.services.reduce(0.0) { $0 + $1.traffic.rps }
        let errors = snapshot.services.reduce(0.0) { $0 + $1.traffic.rps * ($1.traffic.serverErrorRate ?? 0) }
        mesh = Mesh(services: snapshot.services.count, proxies: snapshot.proxies.count, rps: round(total) ?? 0,
                    successRate: total > 0 ? round(1 - errors / total) : nil,
                    sync: Dictionary(uniqueKeysWithValues: snapshot.syncCounts.map { ($0.key.rawValue, $0.value) }),
                    soonestCertExpiry: snapshot.soonestExpiring?.notAfter,
                    findings: Dictionary(grouping: snapshot.findings, by: \.severity.rawValue).mapValues(\.count))
        services = snapshot.services.map {
            ServiceRow(name: $0.name, namespace: $0.namespace, hostname: $0.hostname, versions: $0.versions, rps: round($0.traffic.rps) ?? 0,
                       successRate: round($0.traffic.successRate), latencyMs: latency($0.traffic), health: $0.health.health.rawValue,
                       healthReason: $0.health.reason, mesh: $0.origin?.mesh, dataSource: $0.origin?.dataSource,
                       dataplaneMode: $0.dataplaneMode?.rawValue, l4: $0.traffic.l4.map(l4Row))
        }
        let modes = snapshot.workloads.compactMap { workload in
            workload.dataplaneMode.map { WorkloadRow(name: workload.name, namespace: workload.namespace, app: workload.app, version: workload.version, dataplaneMode: $0.rawValue) }
        }
        workloads = modes.isEmpty ? nil : modes
        ztunnels = snapshot.ztunnels.map { list in
            list.map { ztunnel in
                ZtunnelRow(id: ztunnel.id, node: ztunnel.node, version: ztunnel.version, workloads: ztunnel.workloads, answered: ztunnel.answered,
                           soonestExpiry: ztunnel.soonestExpiry,
                           identities: ztunnel.identities.map { ZtunnelIdentityRow(identity: $0.identity, state: $0.state, reason: $0.reason, notAfter: $0.notAfter,
                                                                                    timeLeftSeconds: $0.notAfter.map { $0.timeIntervalSince(now).rounded() }) },
                           health: ztunnel.health.health.rawValue, healthReason: ztunnel.health.reason, wds: ztunnel.workloadSync?.status.rawValue)
            }
        }
        edges = snapshot.edges.map {
            EdgeRow(source: $0.source, destination: $0.destination, protocol: $0.protocol, mtls: $0.mtls, rps: round($0.traffic.rps) ?? 0,
                    successRate: round($0.traffic.successRate), latencyMs: latency($0.traffic),
                    versionShare: $0.versionShare.mapValues { round($0) ?? 0 }, health: $0.health.health.rawValue, healthReason: $0.health.reason,
                    mesh: $0.origin?.mesh, dataSource: $0.origin?.dataSource, l4: $0.traffic.l4.map(l4Row))
        }
        proxies = snapshot.proxies.map { proxy in
            var sync: [String: SyncCell] = [:]
            for (type, state) in proxy.sync {
                sync[type.rawValue] = SyncCell(state: state.status.rawValue, ageSeconds: state.sentAt.map { max(0, now.timeIntervalSince($0).rounded()) },
                                               error: state.lastError)
            }
            return ProxyRow(id: proxy.id, cluster: proxy.clusterID, type: proxy.type.rawValue, istiod: proxy.istiod, version: proxy.istioVersion,
                            envoyVersion: proxy.proxyVersion, state: proxy.serverState, sync: sync, health: proxy.health.health.rawValue,
                            healthReason: proxy.health.reason, mesh: proxy.origin?.mesh, dataSource: proxy.origin?.dataSource, note: proxy.note,
                            clusters: proxy.clusters?.map { ClusterRow(name: $0.name, endpoints: $0.endpoints, healthy: $0.healthy) })
        }
        certs = snapshot.certificates.map { certificate in
            // Unknown start (pilot-agent's expiry gauge): no notBefore, no share used.
            let used = certificate.startKnown ? certificate.lifetimeUsed(at: now) : nil
            return CertRow(serial: certificate.serial.isEmpty ? nil : certificate.serial, kind: certificate.kind.rawValue, spiffeId: certificate.spiffeID, subject: certificate.subject,
                           notBefore: certificate.startKnown ? certificate.notBefore : nil, notAfter: certificate.notAfter,
                           timeLeftSeconds: certificate.timeLeft(at: now).rounded(), lifetimeUsed: used.flatMap(round),
                           rotationOverdue: certificate.kind == .leaf && (used ?? 0) > thresholds.rotationPoint + thresholds.rotationGrace,
                           proxies: certificate.proxyIDs, health: certificate.health.health.rawValue, healthReason: certificate.health.reason)
        }
        let findingRow = { (finding: Finding) in
            FindingRow(code: finding.code, severity: finding.severity.rawValue, subject: finding.subject, message: finding.message)
        }
        routes = snapshot.routes.map { route in
            RouteRow(virtualService: route.virtualService, namespace: route.namespace, hosts: route.hosts, index: route.index, name: route.name,
                     matches: route.matches,
                     destinations: route.destinations.map { Destination(host: $0.host, subset: $0.subset, port: $0.port, weight: $0.weight, observedShare: round($0.observedShare)) },
                     timeout: route.timeout, retries: route.retries.map { Retries(attempts: $0.attempts, perTryTimeout: $0.perTryTimeout, retryOn: $0.retryOn) },
                     fault: route.fault.map { Fault(delayPercent: $0.delayPercent, fixedDelay: $0.fixedDelay, abortPercent: $0.abortPercent, abortStatus: $0.abortStatus) },
                     mirror: route.mirror, findings: route.findings.map(findingRow))
        }
        findings = snapshot.findings.map(findingRow)
        events = []
    }

    public func json(pretty: Bool = true) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }
}
