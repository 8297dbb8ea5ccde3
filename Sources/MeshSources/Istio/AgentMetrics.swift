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

    /// The merged scrape with each family's `# HELP` and `# TYPE` kept once: pilot-agent writes
    /// Envoy's exposition and then its own registry's, and both carry families such as
    /// `istio_build`; a second TYPE line is an error to a strict parser (mesh-apis.md §4.1) but
    /// says nothing new, and one shared family should not lose the proxy its metrics.
    public static func withoutRepeatedMetadata(_ body: [UInt8]) -> [UInt8] {
        var seen = Set<ArraySlice<UInt8>>()
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var start = 0
        while start < body.count {
            let end = body[start...].firstIndex(of: 0x0A) ?? body.count
            let line = body[start..<end]
            // `# HELP name …` / `# TYPE name …`: the keyword and the name are the key.
            if line.starts(with: Array("# HELP ".utf8)) || line.starts(with: Array("# TYPE ".utf8)) {
                let nameEnd = line.dropFirst(7).firstIndex(of: 0x20) ?? line.endIndex
                if !seen.insert(line[line.startIndex..<nameEnd]).inserted {
                    start = end + 1
                    continue
                }
            }
            out += line
            if end < body.count { out.append(0x0A) }
            start = end + 1
        }
        return out
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
