import Foundation

/// `/server_info`.
public struct ServerInfo: Sendable, Equatable {
    public var version: String
    /// Envoy's semantic version from the build string (`…/1.31.0/Clean/RELEASE/BoringSSL`).
    public var envoyVersion: String?
    public var state: String
    public var nodeID: String?
    public var istioVersion: String?
    public var uptimeSeconds: Double?

    public init(version: String, envoyVersion: String? = nil, state: String, nodeID: String? = nil, istioVersion: String? = nil,
                uptimeSeconds: Double? = nil) {
        self.version = version
        self.envoyVersion = envoyVersion
        self.state = state
        self.nodeID = nodeID
        self.istioVersion = istioVersion
        self.uptimeSeconds = uptimeSeconds
    }
}

/// One certificate as `/certs` describes it.
public struct CertificateDetail: Sendable, Equatable {
    public var serial: String
    public var sans: [String]
    public var validFrom: Date?
    public var expiration: Date?
    public var daysUntilExpiration: Int?
    public var isCA: Bool

    public init(serial: String, sans: [String], validFrom: Date?, expiration: Date?, daysUntilExpiration: Int? = nil, isCA: Bool) {
        self.serial = serial
        self.sans = sans
        self.validFrom = validFrom
        self.expiration = expiration
        self.daysUntilExpiration = daysUntilExpiration
        self.isCA = isCA
    }
}

/// Per-host counters and health from `/clusters?format=json`.
public struct ClusterHostStatus: Sendable, Equatable {
    public var cluster: String
    public var address: String
    public var health: String
    public var stats: [String: Double]
}

/// One cluster of `/clusters?format=json` with its endpoints.
public struct ClusterStatus: Sendable, Equatable {
    public var name: String
    public var hosts: [ClusterHostStatus]
}

public enum EnvoyFormats {
    public static func serverInfo(_ bytes: [UInt8]) throws -> ServerInfo {
        let root = try JSON.parse(bytes)
        guard let version = root["version"]?.string else { throw FormatError("server_info: no version") }
        let parts = version.split(separator: "/")
        return ServerInfo(version: version, envoyVersion: parts.count > 1 ? String(parts[1]) : nil,
                          state: root["state"]?.string ?? "", nodeID: root["node"]?["id"]?.string,
                          istioVersion: root["node"]?["metadata"]?["ISTIO_VERSION"]?.string,
                          uptimeSeconds: root["uptime_current_epoch"]?.string.flatMap { Double($0.dropLast()) })
    }

    /// `/certs`, deduplicated by serial (one entry per TLS context repeats the same certificate).
    public static func certs(_ bytes: [UInt8]) throws -> [CertificateDetail] {
        let root = try JSON.parse(bytes)
        guard case .array = root["certificates"] ?? .null else { throw FormatError("certs: no certificates list") }
        var seen = Set<String>()
        var details: [CertificateDetail] = []
        for context in root["certificates"]?.array ?? [] {
            for (list, isCA) in [("ca_cert", true), ("cert_chain", false)] {
                for certificate in context[list]?.array ?? [] {
                    let serial = (certificate["serial_number"]?.string ?? "").lowercased()
                    guard !serial.isEmpty, seen.insert(serial).inserted else { continue }
                    let sans = (certificate["subject_alt_names"]?.array ?? []).compactMap { $0["uri"]?.string ?? $0["dns"]?.string ?? $0["ip_address"]?.string }
                    details.append(CertificateDetail(
                        serial: serial, sans: sans,
                        validFrom: certificate["valid_from"]?.string.flatMap(Timestamps.parse),
                        expiration: certificate["expiration_time"]?.string.flatMap(Timestamps.parse),
                        daysUntilExpiration: certificate["days_until_expiration"]?.int, isCA: isCA))
                }
            }
        }
        return details
    }

    /// `/clusters?format=json`: every endpoint of every cluster.
    public static func clusters(_ bytes: [UInt8]) throws -> [ClusterHostStatus] {
        try clusterStatuses(bytes).flatMap(\.hosts)
    }

    /// `/clusters?format=json`: every cluster, with its endpoints (none for a cluster without).
    /// Counters are strings in Envoy 1.40, and a zero counter has no `value`.
    public static func clusterStatuses(_ bytes: [UInt8]) throws -> [ClusterStatus] {
        let root = try JSON.parse(bytes)
        guard case .array = root["cluster_statuses"] ?? .null else { throw FormatError("clusters: no cluster_statuses") }
        return (root["cluster_statuses"]?.array ?? []).map { cluster in
            let name = cluster["name"]?.string ?? ""
            let hosts = (cluster["host_statuses"]?.array ?? []).map { host in
                let socket = host["address"]?["socket_address"]
                var stats: [String: Double] = [:]
                for stat in host["stats"]?.array ?? [] {
                    let value = stat["value"].flatMap { $0.number ?? $0.string.flatMap(Double.init) } ?? 0
                    stats[stat["name"]?.string ?? ""] = value
                }
                // Health: EDS's word, else failed by a health check flag, else healthy.
                let health = host["health_status"]?["eds_health_status"]?.string
                    ?? (host["health_status"]?.members.contains { $0.key.hasPrefix("failed") && $0.value.bool == true } == true ? "UNHEALTHY" : "HEALTHY")
                return ClusterHostStatus(cluster: name, address: "\(socket?["address"]?.string ?? "?"):\(socket?["port_value"]?.int ?? 0)",
                                         health: health, stats: stats)
            }
            return ClusterStatus(name: name, hosts: hosts)
        }
    }
}

/// Envoy's hierarchical stat names.
public enum EnvoyStatName {
    /// Splits `cluster.<name>.<stat>` (Istio ≥ 1.23 writes `cluster.<name>;.<stat>`) into the
    /// cluster name, without the `;`, and the stat. Cluster names contain dots, so the `;.`
    /// marker is used when present, else the known Istio cluster-name shapes.
    public static func cluster(_ name: String) -> (cluster: String, stat: String)? {
        guard name.hasPrefix("cluster.") else { return nil }
        let rest = name.dropFirst("cluster.".count)
        if let marker = rest.range(of: ";.") {
            return (String(rest[..<marker.lowerBound]), String(rest[marker.upperBound...]))
        }
        // Pre-1.23: `outbound|9080||reviews.default.svc.cluster.local.upstream_rq_total`.
        if let suffix = rest.range(of: ".svc.cluster.local.") {
            return (String(rest[..<suffix.lowerBound]) + ".svc.cluster.local", String(rest[suffix.upperBound...]))
        }
        guard let dot = rest.firstIndex(of: ".") else { return nil }
        return (String(rest[..<dot]), String(rest[rest.index(after: dot)...]))
    }
}

extension EnvoyFormats {
    /// `/stats?format=json`: counters and gauges by name (values are JSON numbers here), and
    /// histograms as their computed quantiles (cumulative).
    public static func statsJSON(_ bytes: [UInt8]) throws -> (values: [String: Double], quantiles: [String: [Double: Double]]) {
        let root = try JSON.parse(bytes)
        guard case .array = root["stats"] ?? .null else { throw FormatError("stats: no stats list") }
        var values: [String: Double] = [:]
        var quantiles: [String: [Double: Double]] = [:]
        for entry in root["stats"]?.array ?? [] {
            if let name = entry["name"]?.string {
                values[name] = entry["value"]?.number ?? 0
            } else if let histograms = entry["histograms"] {
                let supported = (histograms["supported_quantiles"]?.array ?? []).compactMap(\.number)
                for histogram in histograms["computed_quantiles"]?.array ?? [] {
                    guard let name = histogram["name"]?.string else { continue }
                    var byQuantile: [Double: Double] = [:]
                    for (index, value) in (histogram["values"]?.array ?? []).enumerated() where index < supported.count {
                        if let cumulative = value["cumulative"]?.number { byQuantile[supported[index]] = cumulative }
                    }
                    quantiles[name] = byQuantile
                }
            }
        }
        return (values, quantiles)
    }
}

extension EnvoyFormats {
    /// `/stats` as text: counters and gauges (`name: 12`), text readouts (`name: "…"`) and
    /// histograms (`name: P0(…) …` or `No recorded values`), counted; the numbers by name.
    public static func statsText(_ bytes: [UInt8]) throws -> (values: [String: Double], readouts: Int, histograms: Int) {
        var values: [String: Double] = [:], readouts = 0, histograms = 0
        for (index, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            guard let colon = line.range(of: ": ") else { throw FormatError("stats line \(index + 1): no `name: value`") }
            let name = String(line[..<colon.lowerBound]), value = line[colon.upperBound...]
            if value.hasPrefix("\"") { readouts += 1 } else if value.hasPrefix("P0(") || value == "No recorded values" { histograms += 1 } else if let number = Double(value) {
                values[name] = number
            } else {
                throw FormatError("stats line \(index + 1): \(name) has no number, text or histogram")
            }
        }
        return (values, readouts, histograms)
    }

    /// `/clusters` as text (`cluster::host::field::value`, and `cluster::setting::value` lines):
    /// every cluster named, and each host's health flags.
    public static func clustersText(_ bytes: [UInt8]) throws -> (clusters: [String], hosts: [(cluster: String, address: String, health: String)]) {
        var clusters: [String] = [], seen = Set<String>(), hosts: [String: (cluster: String, address: String, health: String)] = [:], order: [String] = []
        for (index, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n").enumerated() {
            let parts = line.components(separatedBy: "::")
            guard parts.count >= 3 else { throw FormatError("clusters line \(index + 1): not `cluster::…::value`") }
            if seen.insert(parts[0]).inserted { clusters.append(parts[0]) }
            // A host line's second part is its address (`10.1.2.3:9080`, `[::1]:80`).
            guard parts.count == 4, let port = parts[1].split(separator: ":").last, Int(port) != nil else { continue }
            let key = parts[0] + "::" + parts[1]
            if hosts[key] == nil { hosts[key] = (parts[0], parts[1], "healthy"); order.append(key) }
            if parts[2] == "health_flags" { hosts[key]?.health = parts[3] }
        }
        return (clusters, order.compactMap { hosts[$0] })
    }
}
