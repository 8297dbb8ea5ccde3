import Foundation
import MeshModel

/// One row of istiod's `/debug/syncz`.
public struct SynczEntry: Sendable, Equatable {
    public struct TypeState: Sendable, Equatable {
        public var sent: String?
        public var acked: String?
        public var sentTime: Date?
        public var lastError: String?
    }

    public var proxyID: String
    public var clusterID: String
    public var proxyType: ProxyType
    public var istioVersion: String?
    public var proxyVersion: String?
    public var types: [XDSType: TypeState]
    /// Which istiod replica reported it (set by the poller when merging replicas).
    public var istiod: String?
    /// A ztunnel's workload discovery (WDS, `istio.workload.Address`), which is none of Envoy's types.
    public var workloads: TypeState?

    /// The type URL of ambient's workload discovery (WDS).
    public static let workloadTypeURL = "type.googleapis.com/istio.workload.Address"

    /// SYNCED / NOT SENT / STALE / ERROR per type, as istioctl derives them.
    public var statuses: [XDSType: SyncStatus] {
        types.mapValues { SyncState.derive(sent: $0.sent, acked: $0.acked, lastError: $0.lastError, proxyType: proxyType) }
    }

    /// istioctl's VERSION column: istio_version, or proxy_version + "*" when it is empty.
    public var versionColumn: String {
        if let istioVersion, !istioVersion.isEmpty { return istioVersion }
        return (proxyVersion ?? "") + "*"
    }
}

/// A service from `/debug/registryz`.
public struct RegistryService: Sendable, Equatable {
    public var name: String
    public var namespace: String
    public var hostname: String
    public var ports: [ServicePort]
    public var meshExternal: Bool
    public var addresses: [String]
    public var registry: String
}

/// An Istio config object from `/debug/configz` (VirtualService, DestinationRule, …).
public struct ConfigObject: Sendable, Equatable {
    public var kind: String
    public var apiVersion: String
    public var name: String
    public var namespace: String
    public var resourceVersion: String?
    public var spec: JSON
}

/// An endpoint from `/debug/endpointz`.
public struct EndpointEntry: Sendable, Equatable {
    public var host: String
    public var namespace: String
    public var address: String
    public var workload: String?
    public var labels: [String: String]
    public var healthy: Bool
}

/// istiod's `/version`: `<version>-<40-hex revision>-<status>`.
public struct IstiodVersion: Sendable, Equatable {
    public var version: String
    public var revision: String?
    public var status: String?
}

public enum IstiodFormats {
    public static func syncz(_ bytes: [UInt8]) throws -> [SynczEntry] {
        let root = try JSON.parse(bytes)
        guard case .array = root else { throw FormatError("syncz: expected a JSON array") }
        return root.array.map { row in
            var types: [XDSType: SynczEntry.TypeState] = [:]
            let resources = row["resources"]?.members ?? [:]
            for type in XDSType.allCases {
                let resource = resources[type.typeURL] ?? resources[type.typeURL.replacingOccurrences(of: ".v3.", with: ".v2.")]
                types[type] = SynczEntry.TypeState(
                    sent: row["\(type.synczPrefix)_sent"]?.string ?? resource?["sent"]?.string,
                    acked: row["\(type.synczPrefix)_acked"]?.string ?? resource?["acked"]?.string,
                    sentTime: resource?["sentTime"]?.string.flatMap(Timestamps.parse),
                    lastError: resource?["lastError"]?.string)
            }
            var entry = SynczEntry(proxyID: row["proxy"]?.string ?? "", clusterID: row["cluster_id"]?.string ?? "",
                                   proxyType: ProxyType(rawValue: row["proxy_type"]?.string ?? "") ?? .sidecar,
                                   istioVersion: row["istio_version"]?.string, proxyVersion: row["proxy_version"]?.string,
                                   types: types, istiod: nil)
            if let wds = resources[SynczEntry.workloadTypeURL] {
                entry.workloads = SynczEntry.TypeState(sent: wds["sent"]?.string, acked: wds["acked"]?.string,
                                                       sentTime: wds["sentTime"]?.string.flatMap(Timestamps.parse), lastError: wds["lastError"]?.string)
            }
            return entry
        }
    }

    public static func registryz(_ bytes: [UInt8]) throws -> [RegistryService] {
        let root = try JSON.parse(bytes)
        guard case .array = root else { throw FormatError("registryz: expected a JSON array") }
        return root.array.map { service in
            let attributes = service["Attributes"] ?? .null
            let addresses = (service["clusterVIPs"]?["Addresses"]?.members ?? [:]).values.flatMap { $0.array.compactMap(\.string) }
            return RegistryService(
                name: attributes["Name"]?.string ?? "", namespace: attributes["Namespace"]?.string ?? "",
                hostname: service["hostname"]?.string ?? "",
                ports: (service["ports"]?.array ?? []).map { ServicePort(name: $0["name"]?.string ?? "", port: $0["port"]?.int ?? 0, protocol: $0["protocol"]?.string ?? "") },
                meshExternal: service["MeshExternal"]?.bool ?? false,
                addresses: addresses.isEmpty ? [service["defaultAddress"]?.string].compactMap { $0 } : addresses,
                registry: attributes["ServiceRegistry"]?.string ?? "")
        }
    }

    public static func configz(_ bytes: [UInt8]) throws -> [ConfigObject] {
        let root = try JSON.parse(bytes)
        guard case .array = root else { throw FormatError("configz: expected a JSON array") }
        return root.array.map { configObject($0) }
    }

    /// The same objects as the Kubernetes API lists them (`{"kind":"VirtualServiceList","items":[…]}`),
    /// for when istiod's configz cannot be reached; an item without kind takes the list's.
    public static func configList(_ bytes: [UInt8], kind: String, apiVersion: String) throws -> [ConfigObject] {
        let root = try JSON.parse(bytes)
        guard let items = root["items"], case .array = items else { throw FormatError("\(kind) list: no items array") }
        return items.array.map { configObject($0, kind: kind, apiVersion: apiVersion) }
    }

    static func configObject(_ object: JSON, kind: String = "", apiVersion: String = "") -> ConfigObject {
        let metadata = object["metadata"] ?? .null
        return ConfigObject(kind: object["kind"]?.string ?? kind, apiVersion: object["apiVersion"]?.string ?? apiVersion,
                            name: metadata["name"]?.string ?? "", namespace: metadata["namespace"]?.string ?? "",
                            resourceVersion: metadata["resourceVersion"]?.string, spec: object["spec"] ?? .null)
    }

    public static func endpointz(_ bytes: [UInt8]) throws -> [EndpointEntry] {
        let root = try JSON.parse(bytes)
        guard case let .object(hosts) = root else { throw FormatError("endpointz: expected a JSON object") }
        var entries: [EndpointEntry] = []
        for (host, byNamespace) in hosts.sorted(by: { $0.key < $1.key }) {
            for (namespace, shards) in byNamespace.members {
                for (_, endpoints) in shards["Shards"]?.members ?? [:] {
                    for endpoint in endpoints.array {
                        let address = endpoint["Addresses"]?.array.first?.string ?? endpoint["Address"]?.string ?? ""
                        var labels: [String: String] = [:]
                        for (key, value) in endpoint["Labels"]?.members ?? [:] { labels[key] = value.string }
                        entries.append(EndpointEntry(host: host, namespace: namespace, address: address,
                                                     workload: endpoint["WorkloadName"]?.string, labels: labels,
                                                     healthy: (endpoint["HealthStatus"]?.int ?? 1) <= 1))
                    }
                }
            }
        }
        return entries
    }

    public static func version(_ text: String) -> IstiodVersion {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let range = trimmed.range(of: #"-[0-9a-f]{40}-"#, options: .regularExpression) {
            return IstiodVersion(version: String(trimmed[..<range.lowerBound]),
                                 revision: String(trimmed[range].dropFirst().dropLast()),
                                 status: String(trimmed[range.upperBound...]))
        }
        return IstiodVersion(version: trimmed, revision: nil, status: nil)
    }
}

/// A payload that is valid JSON but not of the expected shape.
public struct FormatError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// RFC 3339 timestamps with 0, 3, 6 or 9 fractional digits.
public enum Timestamps {
    public static func parse(_ text: String) -> Date? {
        var base = text
        var fraction = 0.0
        guard text.hasSuffix("Z") else { return nil }
        base.removeLast()
        if let dot = base.firstIndex(of: ".") {
            fraction = Double("0" + base[dot...]) ?? 0
            base = String(base[..<dot])
        }
        let parts = base.split(whereSeparator: { "-T:".contains($0) }).compactMap { Int($0) }
        guard parts.count == 6 else { return nil }
        var components = DateComponents()
        components.year = parts[0]; components.month = parts[1]; components.day = parts[2]
        components.hour = parts[3]; components.minute = parts[4]; components.second = parts[5]
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: components).map { $0.addingTimeInterval(fraction) }
    }
}
