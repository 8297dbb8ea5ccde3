import Foundation
import MeshModel
@testable import MeshUI

/// A fixed mesh snapshot for state-machine tests and goldens (no clock, no network).
enum Fixture {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    static func snapshot(services count: Int = 0) -> MeshSnapshot {
        var snapshot = MeshSnapshot(generatedAt: now)
        snapshot.sources = [SourceStatus(name: "istiod", url: "http://127.0.0.1:15014", ok: true, latencyMs: 3),
                            SourceStatus(name: "proxy details-v1-x.default", url: "http://127.0.1.3:15000", ok: false, error: "proxy details-v1-x.default http://127.0.1.3:15000/stats/prometheus: timed out")]
        let bookinfo: [(String, Double, Double, Health, String)] = [
            ("productpage", 40.1, 0.0, .healthy, "no errors"), ("details", 39.8, 0.012, .degraded, "5xx 1.2 % > 0.0 %"),
            ("reviews", 40.3, 0.15, .failure, "5xx 15.0 % ≥ 10.0 %"), ("ratings", 20.2, 0, .healthy, "no errors"),
        ]
        for (name, rps, errors, health, reason) in bookinfo {
            snapshot.services.append(Service(
                name: name, namespace: "default", hostname: "\(name).default.svc.cluster.local",
                versions: name == "reviews" ? ["v1", "v2", "v3"] : ["v1"], meshExternal: false,
                traffic: TrafficMetrics(rps: rps, successRate: 1 - errors, serverErrorRate: errors, clientErrorRate: 0,
                                        latencyMs: LatencyQuantiles(p50: rps / 3, p95: rps, p99: rps * 2.5)),
                health: HealthVerdict(health, reason: reason)))
        }
        for index in 0..<count {
            snapshot.services.append(Service(name: "svc-\(index)", namespace: "ns-\(index % 7)", hostname: "svc-\(index).ns-\(index % 7).svc.cluster.local",
                                             versions: ["v1"], traffic: TrafficMetrics(rps: Double(index % 97), successRate: 0.999, serverErrorRate: 0.001,
                                                                                     clientErrorRate: 0, latencyMs: LatencyQuantiles(p50: 3, p95: 9, p99: 20)),
                                             health: HealthVerdict(.degraded, reason: "5xx 0.1 % > 0.0 %")))
        }
        snapshot.edges = [
            Edge(source: "istio-system/istio-ingressgateway", destination: "default/productpage", mtls: true,
                 traffic: TrafficMetrics(rps: 40, successRate: 1, serverErrorRate: 0, clientErrorRate: 0, latencyMs: LatencyQuantiles(p50: 30, p95: 90, p99: 180)),
                 health: HealthVerdict(.healthy, reason: "no errors")),
            Edge(source: "default/productpage", destination: "default/reviews", mtls: true,
                 traffic: TrafficMetrics(rps: 40, successRate: 0.85, serverErrorRate: 0.15, clientErrorRate: 0, latencyMs: LatencyQuantiles(p50: 14, p95: 40, p99: 60)),
                 versionShare: ["v1": 0.5, "v2": 0.3, "v3": 0.2], health: HealthVerdict(.failure, reason: "5xx 15.0 % ≥ 10.0 %")),
            Edge(source: "default/productpage", destination: "default/details", mtls: true,
                 traffic: TrafficMetrics(rps: 39.8, successRate: 0.988, serverErrorRate: 0.012, clientErrorRate: 0, latencyMs: LatencyQuantiles(p50: 4, p95: 10, p99: 21)),
                 health: HealthVerdict(.degraded, reason: "5xx 1.2 % > 0.0 %")),
            Edge(source: "default/reviews", destination: "default/ratings", mtls: false,
                 traffic: TrafficMetrics(rps: 20.2, successRate: 1, serverErrorRate: 0, clientErrorRate: 0, latencyMs: LatencyQuantiles(p50: 3, p95: 8, p99: 9.6)),
                 health: HealthVerdict(.healthy, reason: "no errors")),
        ]
        snapshot.workloads = [Workload(name: "productpage-v1", namespace: "default", app: "productpage", version: "v1", serviceAccount: "bookinfo-productpage", proxyIDs: ["productpage-v1-abc.default"])]
        let synced = SyncState(status: .synced, sentAt: now.addingTimeInterval(-300))
        snapshot.proxies = [
            Proxy(id: "productpage-v1-abc.default", namespace: "default", podName: "productpage-v1-abc", adminURL: "http://10.1.0.5:15000", istioVersion: "1.24.2", proxyVersion: "1.32.3-dev",
                  istiod: "http://127.0.0.1:15014", sync: [.cds: synced, .lds: synced, .eds: synced, .rds: synced, .ecds: SyncState(status: .notSent)],
                  serverState: "LIVE", uptimeSeconds: 7200, health: HealthVerdict(.healthy, reason: "all xDS types synced")),
            Proxy(id: "details-v1-x.default", namespace: "default", podName: "details-v1-x", adminURL: "http://10.1.0.6:15000", istioVersion: "1.24.2",
                  sync: [.cds: SyncState(status: .stale, sentAt: now.addingTimeInterval(-150)), .lds: synced, .eds: synced, .rds: synced, .ecds: SyncState(status: .notSent)],
                  health: HealthVerdict(.degraded, reason: "CDS STALE for 150 s > 60 s")),
        ]
        snapshot.certificates = [
            Certificate(serial: "0a1b", kind: .leaf, spiffeID: "spiffe://cluster.local/ns/default/sa/bookinfo-productpage",
                        notBefore: now.addingTimeInterval(-80_000), notAfter: now.addingTimeInterval(6400), proxyIDs: ["productpage-v1-abc.default"],
                        health: HealthVerdict(.warning, reason: "7 % of lifetime left < 20 %")),
            Certificate(serial: "99ff", kind: .root, subject: "CN=Root CA,O=cluster.local", notBefore: now.addingTimeInterval(-86_400 * 30),
                        notAfter: now.addingTimeInterval(86_400 * 3600), health: HealthVerdict(.healthy, reason: "expires in 3600 d")),
        ]
        snapshot.routes = [RouteRule(virtualService: "reviews", namespace: "default", hosts: ["reviews"], index: 0, name: "split",
                                     destinations: [WeightedDestination(host: "reviews", subset: "v1", weight: 50, observedShare: 0.5),
                                                    WeightedDestination(host: "reviews", subset: "v2", weight: 50, observedShare: 0.5)])]
        snapshot.findings = [Finding(code: "CERT_EXPIRING", severity: .warning, subject: "leaf 0a1b", message: "7 % of lifetime left < 20 %")]
        // Bookinfo polled from its Envoys; the generated services as a large mesh read through Prometheus.
        for index in snapshot.services.indices { snapshot.services[index].origin = snapshot.services[index].name.hasPrefix("svc-") ? .istioPrometheus : .istioEnvoy }
        for index in snapshot.proxies.indices { snapshot.proxies[index].origin = .istioEnvoy }
        return snapshot
    }

    static func state(width: Int = 80, height: Int = 24, services: Int = 0) -> AppState {
        var state = AppState(width: width, height: height)
        state.now = now
        state.availableThemes = ["default", "light", "mono"]
        _ = state.update(.snapshot(snapshot(services: services)))
        state.trends["default/productpage"] = [30, 35, 40, 38, 41, 40]
        state.events = [MeshEvent(at: now.addingTimeInterval(-60), kind: .health, subject: "service default/reviews",
                                      message: "healthy → failure: 5xx 15.0 % ≥ 10.0 %", severity: .critical)]
        return state
    }
}
