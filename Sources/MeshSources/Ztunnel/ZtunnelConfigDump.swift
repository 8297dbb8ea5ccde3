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

    /// Decodes a dump streaming (`JSONScanner`): only the fields meshtop keeps are made into
    /// values (a 200-node mesh's dump is ~10 MB; building the whole tree first cost 5× more).
    public static func decode(_ bytes: [UInt8]) throws -> ZtunnelConfigDump {
        try bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            var dump = ZtunnelConfigDump()
            var sections = Set<String>()
            guard try scanner.peek() == 0x7B else { throw DecodingProblem("not a ztunnel config dump (not a JSON object)") }
            try scanner.object { scanner, key in
                sections.insert(key)
                switch key {
                case "workloads": try entries(&scanner) { scanner, name in try dump.readWorkload(&scanner, name) }
                case "services": try entries(&scanner) { scanner, name in try dump.readService(&scanner, name) }
                case "policies": try entries(&scanner) { scanner, name in try dump.readPolicy(&scanner, name) }
                case "certificates":
                    dump.hasCertificates = true
                    try entries(&scanner) { scanner, name in try dump.readCertificate(&scanner, name) }
                default: try scanner.skip()
                }
            }
            try scanner.end()
            guard sections.contains("workloads"), !sections.isDisjoint(with: ["services", "certificates", "workloadState"]) else {
                throw DecodingProblem("not a ztunnel config dump (no workloads with services or certificates)")
            }
            return dump
        }
    }

    /// A section's entries with a name for messages: an array's by position, a map's (older
    /// ztunnels) by key. Anything else (null) has none.
    static func entries(_ scanner: inout JSONScanner, _ body: (inout JSONScanner, String) throws -> Void) throws {
        switch try scanner.peek() {
        case 0x5B:
            var position = 0
            try scanner.array { scanner in
                try body(&scanner, "#\(position)")
                position += 1
            }
        case 0x7B: try scanner.object { scanner, key in try body(&scanner, key) }
        default: try scanner.skip()
        }
    }

    /// A string member, or nil for any other value (skipped).
    static func text(_ scanner: inout JSONScanner) throws -> String? {
        guard try scanner.peek() == 0x22 else { try scanner.skip(); return nil }
        return try scanner.string()
    }

    /// Strings of an array member (other elements skipped).
    static func texts(_ scanner: inout JSONScanner) throws -> [String] {
        guard try scanner.peek() == 0x5B else { try scanner.skip(); return [] }
        var out: [String] = []
        try scanner.array { scanner in if let value = try text(&scanner) { out.append(value) } }
        return out
    }

    /// Reads members of an object value (a non-object is skipped): `body` consumes each value.
    static func members(_ scanner: inout JSONScanner, _ body: (inout JSONScanner, String) throws -> Void) throws -> Bool {
        guard try scanner.peek() == 0x7B else { try scanner.skip(); return false }
        try scanner.object(body)
        return true
    }

    mutating func readWorkload(_ scanner: inout JSONScanner, _ name: String) throws {
        // Plain locals, not a dictionary: a large mesh's dump has tens of thousands of workloads.
        var uid: String?, workloadName: String?, namespace: String?, node: String?, serviceAccount: String?, trustDomain: String?
        var deployment: String?, canonicalName: String?, canonicalRevision: String?, transport: String?, status: String?
        var addresses: [String] = [], waypoint: String?
        let isObject = try Self.members(&scanner) { scanner, key in
            switch key {
            case "name": workloadName = try Self.text(&scanner)
            case "namespace": namespace = try Self.text(&scanner)
            case "node": node = try Self.text(&scanner)
            case "protocol": transport = try Self.text(&scanner)
            case "workloadIps": addresses = try Self.texts(&scanner)
            case "workloadIp": addresses = try Self.text(&scanner).map { [$0] } ?? []
            case "waypoint": waypoint = try Self.waypoint(&scanner)
            case "uid": uid = try Self.text(&scanner)
            case "serviceAccount": serviceAccount = try Self.text(&scanner)
            case "trustDomain": trustDomain = try Self.text(&scanner)
            case "workloadName": deployment = try Self.text(&scanner)
            case "canonicalName": canonicalName = try Self.text(&scanner)
            case "canonicalRevision": canonicalRevision = try Self.text(&scanner)
            case "status": status = try Self.text(&scanner)
            default: try scanner.skip()
            }
        }
        guard isObject, let workloadName, let namespace else { problems.append("workload \(name): no name or namespace"); return }
        workloads.append(Workload(
            uid: uid ?? name, name: workloadName, namespace: namespace, addresses: addresses, node: node ?? "",
            serviceAccount: serviceAccount ?? "default", trustDomain: trustDomain ?? "cluster.local", workloadName: deployment ?? "",
            canonicalName: canonicalName ?? "", canonicalRevision: canonicalRevision ?? "", protocol: transport ?? "TCP", waypoint: waypoint,
            status: status ?? ""))
    }

    /// A workload's waypoint: `{destination: "/10.96.65.117", port}` (the address, network
    /// first), or in newer builds `{destination: {address|hostname}}`.
    static func waypoint(_ scanner: inout JSONScanner) throws -> String? {
        var found: String?
        _ = try members(&scanner) { scanner, key in
            guard key == "destination" || key == "address" else { return try scanner.skip() }
            if try scanner.peek() == 0x22 {
                let value = try scanner.string()
                found = found ?? value
                return
            }
            _ = try members(&scanner) { scanner, inner in
                guard inner == "hostname" || inner == "address" else { return try scanner.skip() }
                found = try text(&scanner) ?? found
            }
        }
        return found
    }

    mutating func readService(_ scanner: inout JSONScanner, _ name: String) throws {
        var fields: [String: String] = [:], vips: [String] = []
        let isObject = try Self.members(&scanner) { scanner, key in
            switch key {
            case "name", "namespace", "hostname": fields[key] = try Self.text(&scanner)
            case "vips": vips = try Self.texts(&scanner)
            default: try scanner.skip()
            }
        }
        guard isObject, let serviceName = fields["name"] else { problems.append("service \(name): no name"); return }
        services.append(Service(name: serviceName, namespace: fields["namespace"] ?? "", hostname: fields["hostname"] ?? "", vips: vips))
    }

    mutating func readPolicy(_ scanner: inout JSONScanner, _ name: String) throws {
        var fields: [String: String] = [:]
        let isObject = try Self.members(&scanner) { scanner, key in
            switch key {
            case "name", "namespace", "action", "scope": fields[key] = try Self.text(&scanner)
            default: try scanner.skip()
            }
        }
        guard isObject, let policyName = fields["name"] else { problems.append("policy \(name): no name"); return }
        policies.append(Policy(name: policyName, namespace: fields["namespace"] ?? "", action: fields["action"] ?? "", scope: fields["scope"] ?? ""))
    }

    mutating func readCertificate(_ scanner: inout JSONScanner, _ name: String) throws {
        var identity: String?, state: String?, lists: [String: [ChainCertificate]] = [:], bad: [String] = []
        let isObject = try Self.members(&scanner) { scanner, key in
            switch key {
            case "identity": identity = try Self.text(&scanner)
            case "state": state = try Self.text(&scanner)
            case "certChain", "rootCerts":
                guard try scanner.peek() == 0x5B else { return try scanner.skip() }
                var position = 0
                try scanner.array { scanner in
                    if let element = try Self.chainElement(&scanner) { lists[key, default: []].append(element) }
                    else { bad.append("\(key)[\(position)]") }
                    position += 1
                }
            default: try scanner.skip()
            }
        }
        guard isObject, let identity else { problems.append("certificate \(name): no identity"); return }
        for element in bad { problems.append("certificate \(identity): \(element) has no decimal serialNumber") }
        certificates.append(IdentityCertificate(identity: identity, state: state ?? "unknown", chain: lists["certChain"] ?? [], roots: lists["rootCerts"] ?? []))
    }

    /// `{pem, serialNumber (decimal, a string or a number), validFrom, expirationTime}`; nil
    /// without a decimal serial.
    static func chainElement(_ scanner: inout JSONScanner) throws -> ChainCertificate? {
        var pem = "", serial: String?, validFrom: Date?, expiration: Date?
        _ = try members(&scanner) { scanner, key in
            switch key {
            case "pem": pem = try text(&scanner) ?? ""
            case "serialNumber":
                if try scanner.peek() == 0x22 { serial = try scanner.string() }
                else if JSONScanner.isNumberByte(try scanner.peek()) {
                    let value = try scanner.number()
                    serial = value.isFinite && value >= 0 ? String(format: "%.0f", value) : nil
                } 
                else { try scanner.skip() }
            case "validFrom": validFrom = try text(&scanner).flatMap(date)
            case "expirationTime": expiration = try text(&scanner).flatMap(date)
            default: try scanner.skip()
            }
        }
        guard let serial, !serial.isEmpty, serial.allSatisfy(\.isNumber) else { return nil }
        return ChainCertificate(pem: pem, serialNumber: serial, validFrom: validFrom, expiration: expiration)
    }

    static func date(_ text: String) -> Date? {
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
