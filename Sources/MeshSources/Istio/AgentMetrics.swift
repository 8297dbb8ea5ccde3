import Foundation

/// The two pilot-agent gauges the pod-metrics tier reads from the merged scrape on :15020:
/// seconds left on the workload certificate, and the proxy's Istio version.
public enum AgentMetrics {
    /// `istio_agent_cert_expiry_seconds{resource_name="default"} 80000` (negative once expired).
    public static func certificateExpirySeconds(_ body: [UInt8]) -> Double? {
        sample(body, name: "istio_agent_cert_expiry_seconds", labelled: "resource_name=\"default\"").flatMap { Double($0.value) }
    }

    /// The `tag` of `istio_build{component="proxy",tag="1.28.0"} 1`.
    public static func istioVersion(_ body: [UInt8]) -> String? {
        guard let line = sample(body, name: "istio_build", labelled: "component=\"proxy\"")?.line,
              let range = line.range(of: "tag=\"") else { return nil }
        let rest = line[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    /// The first sample line of `name` whose labels contain `labelled`, and its value.
    static func sample(_ body: [UInt8], name: String, labelled: String) -> (line: Substring, value: Substring)? {
        let text = String(decoding: body, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") && line.contains(labelled) {
            guard let close = line.lastIndex(of: "}") else { continue }
            let value = line[line.index(after: close)...].trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? ""
            return (line, value)
        }
        return nil
    }
}
