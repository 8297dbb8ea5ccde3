import Foundation

/// The proxies to poll: a targets file's, plus, with an admin-address template, every proxy
/// istiod knows (syncz), at the pod IP endpointz lists for its workload.
public enum TargetDiscovery {
    /// `template` takes `{ip}`, `{pod}` and `{namespace}`, e.g. `http://{ip}:15000`.
    public static func targets(_ round: PollRound, listed: [ScrapeTarget], template: String?) -> [ScrapeTarget] {
        var targets = listed
        guard let template else { return targets }
        let known = Set(targets.map(\.proxyID))
        // Pod IPs come from endpointz, matched to pods by workload name prefix in order.
        var ipsByWorkload: [String: [String]] = [:]
        for endpoint in round.endpoints { ipsByWorkload["\(endpoint.namespace)/\(endpoint.workload ?? "")", default: []].append(endpoint.address) }
        for row in round.syncz where !known.contains(row.proxyID) {
            let parts = row.proxyID.split(separator: ".", maxSplits: 1).map(String.init)
            let pod = parts.first ?? row.proxyID, namespace = parts.count > 1 ? parts[1] : ""
            let workloadKey = ipsByWorkload.keys.filter { key in
                let workload = key.split(separator: "/").last.map(String.init) ?? ""
                return key.hasPrefix(namespace + "/") && !workload.isEmpty && pod.hasPrefix(workload + "-")
            }.max { $0.count < $1.count }
            var ip = ""
            if let key = workloadKey, var ips = ipsByWorkload[key], !ips.isEmpty {
                ip = ips.removeFirst()
                ipsByWorkload[key] = ips
            }
            if template.contains("{ip}"), ip.isEmpty { continue }
            let url = template.replacingOccurrences(of: "{ip}", with: ip).replacingOccurrences(of: "{pod}", with: pod)
                .replacingOccurrences(of: "{namespace}", with: namespace)
            targets.append(ScrapeTarget(url: url, labels: ["proxy": row.proxyID, "namespace": namespace, "pod": pod]))
        }
        return targets
    }
}
