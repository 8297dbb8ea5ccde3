import Foundation
import MeshModel

/// SOFAMosn admin API responses (mesh-apis.md §6).
public enum MosnFormats {
    /// `/api/v1/stats`: metric type → namespace → key → value. MOSN writes every value as a
    /// string; the namespace is the metric's sorted labels joined as `k.v.k.v`
    /// (`cluster.outbound|9080||reviews.default.svc.cluster.local`).
    public struct Stats: Sendable, Equatable {
        public var types: [String: [String: [String: Double]]]

        public init(types: [String: [String: [String: Double]]]) { self.types = types }

        /// Per-cluster upstream counters (`cluster.<name>` namespaces; per-host ones skipped).
        public var clusters: [String: [String: Double]] {
            var out: [String: [String: Double]] = [:]
            for (namespace, values) in types["upstream"] ?? [:] where namespace.hasPrefix("cluster.") {
                let name = String(namespace.dropFirst("cluster.".count))
                // `cluster.<c>.host.<ip:port>` is one host of cluster <c> (labels sorted, dot-joined).
                if let range = name.range(of: ".host.", options: .backwards),
                   name[range.upperBound...].allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" || $0.isHexDigit || $0 == "[" || $0 == "]" }),
                   name[range.upperBound...].contains(":") { continue }
                out[name] = values
            }
            return out
        }
    }

    public static func stats(_ body: [UInt8]) throws -> Stats {
        let tree = try JSON.parse(body)
        guard case let .object(types) = tree else { throw FormatError("expected a JSON object of metric types") }
        var out: [String: [String: [String: Double]]] = [:]
        for (type, namespaces) in types {
            guard case let .object(byNamespace) = namespaces else { throw FormatError("metric type \(type) is not an object") }
            for (namespace, keys) in byNamespace {
                guard case let .object(values) = keys else { throw FormatError("\(type)/\(namespace) is not an object") }
                var numbers: [String: Double] = [:]
                for (key, value) in values {
                    guard let number = value.number else { throw FormatError("\(type)/\(namespace)/\(key) is not a number") }
                    numbers[key] = number
                }
                out[type, default: [:]][namespace] = numbers
            }
        }
        return Stats(types: out)
    }

    /// `/api/v1/version`: `mosn version: <v>`.
    public static func version(_ body: [UInt8]) -> String? {
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let range = text.range(of: "version:") else { return nil }
        let version = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
        return version.isEmpty ? nil : version
    }

    /// `/api/v1/states`: `pid=<pid>&state=<n>` → the state's name (6 = Running).
    public static func state(_ body: [UInt8]) -> String? {
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let part = text.split(separator: "&").first(where: { $0.hasPrefix("state=") }),
              let number = Int(part.dropFirst("state=".count)) else { return nil }
        let names = ["Nil", "ParamsParsed", "Initing", "PreStart", "Starting", "AfterStart", "Running", "BeforeStop",
                     "GracefulStopping", "Stopping", "AfterStop", "Stopped", "StartingNewServer", "Upgrading"]
        return names.indices.contains(number) ? names[number] : "state \(number)"
    }

    /// `/api/v1/config_dump`: the routers and clusters of a MOSN config as two documents, like
    /// an Envoy proxy's route and cluster sets, so config history covers MOSN too.
    public static func configDocuments(_ body: [UInt8], namespace: String, pod: String) throws -> [ConfigDocument] {
        let tree = try JSON.parse(body)
        guard case .object = tree else { throw FormatError("expected the MOSN config as a JSON object") }
        let routers = (tree["servers"]?.array ?? []).flatMap { $0["routers"]?.array ?? [] }
            .sorted { ($0["router_config_name"]?.string ?? "") < ($1["router_config_name"]?.string ?? "") }
        let clusters = (tree["cluster_manager"]?["clusters"]?.array ?? []).map { cluster in
            [cluster["name"]?.string, cluster["type"]?.string].compactMap { $0 }.joined(separator: " ")
        }.sorted()
        return [
            ConfigText.make(kind: ConfigDocument.proxyRoutes, namespace: namespace, name: pod, text: ConfigText.yaml(.array(routers))),
            ConfigText.make(kind: ConfigDocument.proxyClusters, namespace: namespace, name: pod, text: clusters.map { $0 + "\n" }.joined()),
        ]
    }
}
