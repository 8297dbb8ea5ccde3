import Foundation

/// A ztunnel's `/config_dump` (mesh-apis.md §10): the workloads and services it knows, the
/// authorization policies, and one certificate entry per identity of its node's pods — the
/// fleet-wide workload certificates no other tool aggregates. Current ztunnels write arrays,
/// older ones maps keyed by address or uid; both are read. Unknown keys are ignored; an entry
/// that cannot be read is named in `problems` and the rest of the dump is still used.
public struct ZtunnelConfigDump: Sendable, Equatable {
    public struct Workload: Sendable, Equatable {
        public var uid: String
        public var name: String
        public var namespace: String
        public var addresses: [String]
        public var node: String
        public var serviceAccount: String
        public var trustDomain: String
        public var workloadName: String
        public var canonicalName: String
        public var canonicalRevision: String
        /// `HBONE` (in the ambient mesh) or `TCP` (outside it).
        public var `protocol`: String
        /// The waypoint's address (`/10.96.65.117`, network first) when one serves the workload.
        public var waypoint: String?
        public var status: String

        /// The SPIFFE identity its certificate carries.
        public var identity: String { "spiffe://\(trustDomain)/ns/\(namespace)/sa/\(serviceAccount)" }
    }

    public struct Service: Sendable, Equatable {
        public var name: String
        public var namespace: String
        public var hostname: String
        public var vips: [String]
    }

    public struct Policy: Sendable, Equatable {
        public var name: String
        public var namespace: String
        public var action: String
        public var scope: String
    }

    /// One certificate of a chain: `serialNumber` is decimal, as ztunnel writes it.
    public struct ChainCertificate: Sendable, Equatable {
        public var pem: String
        public var serialNumber: String
        public var validFrom: Date?
        public var expiration: Date?
    }

    /// The certificate ztunnel holds (or is fetching) for one identity.
    public struct IdentityCertificate: Sendable, Equatable {
        public var identity: String
        /// `Available`, `Initializing`, or `Unavailable: <reason>`, as written.
        public var state: String
        /// Leaf first.
        public var chain: [ChainCertificate]
        public var roots: [ChainCertificate]

        /// The state's word (`Unavailable`), without its reason.
        public var stateWord: String { String(state.split(separator: ":", maxSplits: 1).first ?? "").trimmingCharacters(in: .whitespaces) }
        /// Why it is not available (`signing gRPC error …`), if the state says.
        public var reason: String? {
            guard let colon = state.firstIndex(of: ":") else { return nil }
            let text = state[state.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            return text.isEmpty ? nil : text
        }
    }

    public var workloads: [Workload] = []
    public var services: [Service] = []
    public var policies: [Policy] = []
    public var certificates: [IdentityCertificate] = []
    /// Whether the dump had a `certificates` section at all (a dump without one is named).
    public var hasCertificates = false
    /// Entries that could not be read, each naming what and why.
    public var problems: [String] = []

    public init() {}

    /// Whether a JSON document is a ztunnel dump (and not an Envoy one or `/certs`).
    public static func recognises(_ root: JSON) -> Bool {
        let members = root.members
        return members["workloads"] != nil && (members["services"] != nil || members["certificates"] != nil || members["workloadState"] != nil)
    }

    public static func decode(_ bytes: [UInt8]) throws -> ZtunnelConfigDump {
        try decode(JSON.parse(bytes))
    }

    public static func decode(_ root: JSON) throws -> ZtunnelConfigDump {
        guard case .object = root, recognises(root) else { throw DecodingProblem("not a ztunnel config dump (no workloads with services or certificates)") }
        var dump = ZtunnelConfigDump()
        for (key, item) in entries(root["workloads"]) {
            guard let name = item["name"]?.string, let namespace = item["namespace"]?.string else {
                dump.problems.append("workload \(key): no name or namespace"); continue
            }
            let addresses = (item["workloadIps"]?.array ?? item["workloadIp"].map { [$0] } ?? []).compactMap(\.string)
            dump.workloads.append(Workload(
                uid: item["uid"]?.string ?? key, name: name, namespace: namespace, addresses: addresses,
                node: item["node"]?.string ?? "", serviceAccount: item["serviceAccount"]?.string ?? "default",
                trustDomain: item["trustDomain"]?.string ?? "cluster.local", workloadName: item["workloadName"]?.string ?? "",
                canonicalName: item["canonicalName"]?.string ?? "", canonicalRevision: item["canonicalRevision"]?.string ?? "",
                protocol: item["protocol"]?.string ?? "TCP", waypoint: waypoint(item["waypoint"]), status: item["status"]?.string ?? ""))
        }
        for (key, item) in entries(root["services"]) {
            guard let name = item["name"]?.string else { dump.problems.append("service \(key): no name"); continue }
            dump.services.append(Service(name: name, namespace: item["namespace"]?.string ?? "", hostname: item["hostname"]?.string ?? "",
                                         vips: (item["vips"]?.array ?? []).compactMap(\.string)))
        }
        for (key, item) in entries(root["policies"]) {
            guard let name = item["name"]?.string else { dump.problems.append("policy \(key): no name"); continue }
            dump.policies.append(Policy(name: name, namespace: item["namespace"]?.string ?? "", action: item["action"]?.string ?? "",
                                        scope: item["scope"]?.string ?? ""))
        }
        dump.hasCertificates = root["certificates"] != nil
        for (key, item) in entries(root["certificates"]) {
            guard let identity = item["identity"]?.string else { dump.problems.append("certificate \(key): no identity"); continue }
            var entry = IdentityCertificate(identity: identity, state: item["state"]?.string ?? "unknown", chain: [], roots: [])
            for (field, list) in [("certChain", \IdentityCertificate.chain), ("rootCerts", \IdentityCertificate.roots)] {
                for (position, element) in (item[field]?.array ?? []).enumerated() {
                    guard let serial = element["serialNumber"]?.string ?? element["serialNumber"]?.int.map(String.init),
                          serial.allSatisfy(\.isNumber), !serial.isEmpty else {
                        dump.problems.append("certificate \(identity): \(field)[\(position)] has no decimal serialNumber"); continue
                    }
                    entry[keyPath: list].append(ChainCertificate(pem: element["pem"]?.string ?? "", serialNumber: serial,
                                                                 validFrom: date(element["validFrom"]), expiration: date(element["expirationTime"])))
                }
            }
            dump.certificates.append(entry)
        }
        return dump
    }

    /// The waypoint of a workload: `{destination: "/10.96.65.117", port}` (the address, network
    /// first), or in newer builds `{destination: {address|hostname}}`.
    static func waypoint(_ value: JSON?) -> String? {
        guard let value, case .object = value else { return nil }
        if let text = value["destination"]?.string { return text }
        let destination = value["destination"]
        return destination?["hostname"]?.string ?? destination?["address"]?.string ?? value["address"]?.string
    }

    /// A section's entries with a key to name them by: an array's by position, a map's by key
    /// (sorted, so the order is stable). Anything else has none.
    static func entries(_ value: JSON?) -> [(String, JSON)] {
        switch value {
        case let .array(items)?: Array(items.enumerated().map { ("#\($0.offset)", $0.element) })
        case let .object(members)?: members.keys.sorted().map { ($0, members[$0]!) }
        default: []
        }
    }

    static func date(_ value: JSON?) -> Date? {
        guard let text = value?.string else { return nil }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    struct DecodingProblem: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// The service a waypoint address names (`namespace-istio-waypoint`), if the dump has it.
    public func serviceName(atAddress address: String) -> String? {
        services.first { $0.vips.contains(address) }?.name
    }
}
