import Foundation
import MeshModel
@testable import MeshStore

/// Synthetic snapshots with every part the store keeps.
enum StoreFixture {
    static let start = Date(timeIntervalSince1970: 1_764_000_000) // a whole minute

    static func snapshot(at offset: TimeInterval, rps: Double = 40, weights: (Int, Int) = (80, 20), errors: Double = 0,
                         staleSince: TimeInterval? = nil) -> MeshSnapshot {
        let at = start.addingTimeInterval(offset)
        let traffic = TrafficMetrics(rps: rps, successRate: 1 - errors, serverErrorRate: errors, clientErrorRate: 0,
                                     latencyMs: LatencyQuantiles(p50: 12.5, p95: 40, p99: 98.765))
        var services = [
            Service(name: "reviews", namespace: "default", hostname: "reviews.default.svc.cluster.local", versions: ["v1", "v2"], traffic: traffic,
                    health: errors > 0 ? HealthVerdict(.degraded, reason: "5xx \(errors * 100) % > 0.0 %") : HealthVerdict(.healthy, reason: "no errors")),
            Service(name: "ratings", namespace: "default", hostname: "ratings.default.svc.cluster.local", versions: ["v1"],
                    traffic: TrafficMetrics(), health: HealthVerdict(.idle, reason: "no traffic")),
        ]
        services.sort { $0.name < $1.name }
        let edge = Edge(source: "default/productpage", destination: "default/reviews", mtls: true, traffic: traffic,
                        versionShare: ["v1": 0.8, "v2": 0.2], health: services[1].health)
        let sync: [XDSType: SyncState] = [
            .cds: SyncState(status: staleSince == nil ? .synced : .stale, sentAt: staleSince.map { start.addingTimeInterval($0) } ?? start),
            .lds: SyncState(status: .synced, sentAt: start),
        ]
        let proxy = Proxy(id: "reviews-v1-abc.default", namespace: "default", podName: "reviews-v1-abc", workload: "reviews-v1",
                          istioVersion: "1.24.0", proxyVersion: "1.32.0", sync: sync, serverState: "LIVE", uptimeSeconds: 100 + offset,
                          health: HealthRules.proxy(sync: sync, inSyncz: true, now: at))
        let leaf = Certificate(serial: "abc123", kind: .leaf, spiffeID: "spiffe://cluster.local/ns/default/sa/reviews",
                               notBefore: start.addingTimeInterval(-3600), notAfter: start.addingTimeInterval(20 * 3600), proxyIDs: [proxy.id])
        var route = RouteRule(virtualService: "reviews", namespace: "default", hosts: ["reviews"], index: 0,
                              destinations: [WeightedDestination(host: "reviews", subset: "v1", weight: weights.0),
                                             WeightedDestination(host: "reviews", subset: "v2", weight: weights.1)])
        let policy = DestinationPolicy(name: "reviews", namespace: "default", host: "reviews.default.svc.cluster.local",
                                       subsets: [Subset(name: "v1", labels: ["version": "v1"]), Subset(name: "v2", labels: ["version": "v2"])])
        route = route.withObservedShares(edges: [edge], policies: [policy])
        let vsText = "spec:\n  http:\n  - route:\n    - destination: {host: reviews, subset: v1}\n      weight: \(weights.0)\n    - destination: {host: reviews, subset: v2}\n      weight: \(weights.1)\n"
        var snapshot = MeshSnapshot(
            generatedAt: at, sources: [SourceStatus(name: "istiod", url: "http://127.0.0.1:15014", ok: true, latencyMs: 3)],
            services: services,
            workloads: [Workload(name: "reviews-v1", namespace: "default", app: "reviews", version: "v1", serviceAccount: "reviews", proxyIDs: [proxy.id])],
            proxies: [proxy], edges: [edge], routes: [route], destinationPolicies: [policy], certificates: [leaf],
            findings: [Finding(code: "ROUTE_WEIGHTS_NOT_100", severity: .warning, subject: "VirtualService default/other", message: "weights sum to 90")],
            configs: [ConfigDocument(kind: "VirtualService", namespace: "default", name: "reviews", hash: "h\(weights.0)-\(weights.1)", text: vsText)])
        snapshot.certificates = snapshot.certificates.map { var c = $0; c.health = HealthRules.certificate(c, now: at); return c }
        snapshot.findings += HealthRules.findings(snapshot)
        return snapshot
    }

    static func temporaryPath(_ name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-store-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }
}
