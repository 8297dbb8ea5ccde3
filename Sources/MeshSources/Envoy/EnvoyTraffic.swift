import Foundation
import MeshModel

/// RED from an Envoy's own statistics, for an Envoy without Istio's stats filter (mesh-apis.md
/// §11), as the request series every mesh's traffic goes through (`RequestCounters`):
/// - each outbound cluster that names a service (`outbound|9080|v1|reviews…`, a Consul or Kuma
///   name) is an edge reported by this proxy's side — `upstream_rq_<code>` per final response
///   code (the classes when the codes are filtered out), `upstream_rq_time` for latency, mTLS
///   when its connections did TLS handshakes;
/// - the inbound HTTP connection managers are this proxy's service as the destination —
///   `downstream_rq_<N>xx` per class, `downstream_rq_time`.
/// Who this proxy is comes from its target's labels (`app`, `version`, `namespace`).
///
/// `knownClusters` are the proxy's cluster names from its own config (`/clusters`): a dotted
/// name comes back from Envoy's default tags with its tail's `-`, `.` and `_` all made `_`
/// (`istio-ingressgateway.istio-system.dc1…consul` would read as service `istio`, namespace
/// `system`); the known name whose characters differ only there is taken instead.
public enum EnvoyTraffic {
    public static func counters(_ exposition: Exposition, at: Date, target: ScrapeTarget, flavour: MeshKind,
                                knownClusters: [String] = []) -> RequestCounters {
        let resolve = EnvoyRequestStat.nameResolver(knownClusters)
        let me = TargetIdentity(target)
        var codes: [String: [String: Double]] = [:], classes: [String: [String: Double]] = [:]
        var clusterBuckets: [String: [Double: Double]] = [:], tls: Set<String> = []
        var inbound: [String: Double] = [:], inboundBuckets: [Double: Double] = [:]
        for family in exposition.families {
            for sample in family.samples {
                guard let stat = EnvoyRequestStat(sample) else { continue }
                switch (stat.scope.resolved(resolve), stat.stat) {
                case let (.cluster(name), .code(code)): codes[name, default: [:]][code, default: 0] += sample.value
                case let (.cluster(name), .codeClass(digit)): classes[name, default: [:]][digit + "xx", default: 0] += sample.value
                case let (.cluster(name), .timeBucket(le)): clusterBuckets[name, default: [:]][le, default: 0] += sample.value
                case let (.cluster(name), .tlsHandshakes): if sample.value > 0 { tls.insert(name) }
                case let (.http(prefix), .codeClass(digit)) where EnvoyClusterNames.isInbound(httpPrefix: prefix):
                    inbound[digit + "xx", default: 0] += sample.value
                case let (.http(prefix), .timeBucket(le)) where EnvoyClusterNames.isInbound(httpPrefix: prefix):
                    inboundBuckets[le, default: 0] += sample.value
                default: break
                }
            }
        }
        var counters = RequestCounters(at: at)
        for cluster in Set(codes.keys).union(classes.keys).sorted() {
            guard let destination = EnvoyClusterNames.destination(cluster, flavour: flavour) else { continue }
            // Exact codes where Envoy kept them; the classes otherwise.
            let exact = codes[cluster] ?? [:]
            let counts = exact.isEmpty ? classes[cluster] ?? [:] : exact
            var busiest: RequestSeries?
            for (code, value) in counts.sorted(by: { $0.key < $1.key }) {
                let series = RequestSeries(reporter: "source", sourceNamespace: me.namespace, sourceService: me.service, sourceWorkload: me.workload,
                                           destinationNamespace: destination.namespace, destinationService: destination.service,
                                           destinationHost: destination.host, destinationVersion: destination.version,
                                           responseCode: code, mutualTLS: tls.contains(cluster))
                counters.requests[series, default: 0] += value
                if busiest == nil || value > counters.requests[busiest!] ?? 0 { busiest = series }
            }
            // Latency is per cluster, not per code: it goes with the cluster's busiest series.
            if let busiest, let buckets = clusterBuckets[cluster] { counters.durationBuckets[busiest, default: [:]].merge(buckets, uniquingKeysWith: +) }
        }
        var busiest: RequestSeries?
        for (code, value) in inbound.sorted(by: { $0.key < $1.key }) {
            let series = RequestSeries(reporter: "destination", sourceNamespace: "unknown", sourceService: "unknown",
                                       destinationNamespace: me.namespace, destinationService: me.service,
                                       destinationWorkload: me.workload, destinationVersion: me.version, responseCode: code, mutualTLS: false)
            counters.requests[series, default: 0] += value
            if busiest == nil || value > counters.requests[busiest!] ?? 0 { busiest = series }
        }
        if let busiest, !inboundBuckets.isEmpty { counters.durationBuckets[busiest] = inboundBuckets }
        return counters
    }

    /// The flavour an Envoy's statistics show: the naming of its service clusters (nil: none seen).
    public static func flavour(_ exposition: Exposition) -> MeshKind? {
        for family in exposition.families where family.name.hasPrefix("envoy_cluster_") {
            for sample in family.samples {
                // The whole name where a request statistic gives it back, else the tag (cut at its first dot).
                let name: String? = if case let .cluster(full)? = EnvoyRequestStat(sample).map(\.scope) { full }
                    else { sample.label("envoy_cluster_name") ?? sample.label("cluster_name") }
                if let name, let flavour = EnvoyClusterNames.flavour(of: name) { return flavour }
            }
        }
        return nil
    }
}
