import Foundation

/// The static targets file: a YAML list of proxy admin URLs with their labels. `meshtop sim
/// --targets-file` writes it; the client's `--targets-file` reads the same format.
public enum TargetsFile {
    public struct Target: Sendable, Equatable {
        public var url: String
        public var labels: [(String, String)]

        public static func == (lhs: Target, rhs: Target) -> Bool {
            lhs.url == rhs.url && lhs.labels.map { $0.0 + "=" + $0.1 } == rhs.labels.map { $0.0 + "=" + $0.1 }
        }
    }

    /// One target per proxy of the simulation, present or not (ambient pods have none), then
    /// one per ztunnel (`kind: ztunnel`, its URL under the number of proxies + its index).
    public static func targets(topology: SimTopology, urls: [Int: String]) -> [Target] {
        let proxies = topology.proxies.filter { !topology.isAmbient(proxy: $0.index) }.map { proxy in
            let workload = topology.workloads[proxy.workload]
            let service = topology.services[proxy.service]
            return Target(url: urls[proxy.index] ?? "", labels: [
                ("kind", service.mesh.targetKind), ("proxy", proxy.id), ("proxy_type", proxy.type), ("namespace", proxy.namespace),
                ("pod", proxy.podName), ("workload", workload.name), ("app", service.name),
                ("version", service.isGateway ? "unknown" : workload.version), ("cluster", "Kubernetes"),
            ])
        }
        let ztunnels = topology.ztunnels.map { ztunnel in
            Target(url: urls[topology.proxies.count + ztunnel.index] ?? "", labels: [
                ("kind", "ztunnel"), ("proxy", ztunnel.id), ("proxy_type", "ztunnel"), ("namespace", "istio-system"),
                ("pod", ztunnel.podName), ("node", ztunnel.node), ("cluster", "Kubernetes"),
            ])
        }
        return proxies + ztunnels
    }

    public static func render(_ targets: [Target]) -> String {
        var lines = ["# meshtop targets: one admin API per proxy (kind: envoy, linkerd or mosn), with its labels"]
        for target in targets {
            lines.append("- url: \(quote(target.url))")
            lines.append("  labels:")
            for (key, value) in target.labels { lines.append("    \(key): \(quote(value))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Prometheus configuration scraping every proxy the way a mesh's Prometheus does: Envoy
    /// sidecars at `/stats/prometheus`, Linkerd proxies at `/metrics` (MOSN's admin API has no
    /// Prometheus endpoint). Targets carry their labels, as Kubernetes service discovery would.
    public static func prometheusConfig(_ targets: [Target], scrapeInterval: String) -> String {
        var lines = ["# meshtop sim: Prometheus scrape configuration for the simulated mesh",
                     "global:", "  scrape_interval: \(scrapeInterval)", "  evaluation_interval: \(scrapeInterval)", "scrape_configs:"]
        for (job, kind, path) in [("envoy-stats", "envoy", "/stats/prometheus"), ("linkerd-proxy", "linkerd", "/metrics")] {
            let selected = targets.filter { target in target.labels.contains { $0.0 == "kind" && $0.1 == kind } }
            guard !selected.isEmpty else { continue }
            lines += ["  - job_name: \(quote(job))", "    metrics_path: \(quote(path))", "    static_configs:"]
            for target in selected {
                let address = target.url.replacingOccurrences(of: "http://", with: "")
                lines.append("      - targets: [\(quote(address))]")
                lines.append("        labels: {pod: \(quote(target.labels.first { $0.0 == "pod" }?.1 ?? "")), namespace: \(quote(target.labels.first { $0.0 == "namespace" }?.1 ?? ""))}")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A YAML double-quoted string; control characters (hostile names) as `\uXXXX` escapes.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || (0x2028...0x2029).contains(scalar.value) {
                    out += String(format: "\\u%04X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
