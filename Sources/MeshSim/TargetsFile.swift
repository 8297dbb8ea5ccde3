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

    /// One target per proxy of the simulation, present or not.
    public static func targets(topology: SimTopology, urls: [Int: String]) -> [Target] {
        topology.proxies.map { proxy in
            let workload = topology.workloads[proxy.workload]
            let service = topology.services[proxy.service]
            return Target(url: urls[proxy.index] ?? "", labels: [
                ("kind", "envoy"), ("proxy", proxy.id), ("proxy_type", proxy.type), ("namespace", proxy.namespace),
                ("pod", proxy.podName), ("workload", workload.name), ("app", service.name),
                ("version", service.isGateway ? "unknown" : workload.version), ("cluster", "Kubernetes"),
            ])
        }
    }

    public static func render(_ targets: [Target]) -> String {
        var lines = ["# meshtop targets: one Envoy admin API per proxy, with its labels"]
        for target in targets {
            lines.append("- url: \(quote(target.url))")
            lines.append("  labels:")
            for (key, value) in target.labels { lines.append("    \(key): \(quote(value))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func quote(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
