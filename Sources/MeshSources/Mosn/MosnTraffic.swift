import Foundation

/// SOFAMosn upstream cluster stats (`/api/v1/stats`, mesh-apis.md §6) as request series. MOSN on
/// Istio names its clusters like Envoy does:
/// - `inbound|<port>||` is the local application: what the pod's service answered
///   (reporter=destination);
/// - `outbound|<port>|<subset>|<host>` is a called service (reporter=source), version = subset.
/// MOSN counts `response_success` and `response_failed` without status codes: failures count as
/// server errors (code 503), successes as 200. Its histograms are exported only as `_min`/`_max`,
/// so MOSN rows have no latency quantiles.
enum MosnTraffic {
    static func counters(at date: Date, stats: MosnFormats.Stats, target: ScrapeTarget) -> RequestCounters {
        var counters = RequestCounters(at: date)
        let own = TargetIdentity(target)
        for (cluster, values) in stats.clusters {
            let parts = cluster.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 4 else { continue }
            let success = values["response_success"] ?? 0, failed = values["response_failed"] ?? 0
            var make: (String) -> RequestSeries
            if parts[0] == "inbound" {
                make = { code in
                    RequestSeries(reporter: "destination", sourceNamespace: "unknown", sourceService: "unknown", destinationNamespace: own.namespace,
                                  destinationService: own.service, destinationWorkload: own.workload, destinationVersion: own.version,
                                  responseCode: code, mutualTLS: false)
                }
            } else if parts[0] == "outbound" {
                let host = parts[3]
                let hostParts = host.split(separator: ".").map(String.init)
                make = { code in
                    RequestSeries(reporter: "source", sourceNamespace: own.namespace, sourceService: own.service, sourceWorkload: own.workload,
                                  destinationNamespace: hostParts.count > 1 ? hostParts[1] : "unknown", destinationService: hostParts.first ?? host,
                                  destinationHost: host, destinationVersion: parts[2].isEmpty ? "unknown" : parts[2], responseCode: code, mutualTLS: false)
                }
            } else {
                continue
            }
            if success > 0 { counters.requests[make("200"), default: 0] += success }
            if failed > 0 { counters.requests[make("503"), default: 0] += failed }
        }
        return counters
    }
}
