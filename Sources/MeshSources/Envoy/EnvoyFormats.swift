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
}

/// One certificate as `/certs` describes it.
public struct CertificateDetail: Sendable, Equatable {
    public var serial: String
    public var sans: [String]
    public var validFrom: Date?
    public var expiration: Date?
    public var daysUntilExpiration: Int?
    public var isCA: Bool
}

/// Per-host counters and health from `/clusters?format=json`.
public struct ClusterHostStatus: Sendable, Equatable {
    public var cluster: String
    public var address: String
    public var health: String
    public var stats: [String: Double]
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

    public static func clusters(_ bytes: [UInt8]) throws -> [ClusterHostStatus] {
        let root = try JSON.parse(bytes)
        guard case .array = root["cluster_statuses"] ?? .null else { throw FormatError("clusters: no cluster_statuses") }
        var hosts: [ClusterHostStatus] = []
        for cluster in root["cluster_statuses"]?.array ?? [] {
            for host in cluster["host_statuses"]?.array ?? [] {
                let socket = host["address"]?["socket_address"]
                var stats: [String: Double] = [:]
                for stat in host["stats"]?.array ?? [] { stats[stat["name"]?.string ?? ""] = stat["value"]?.number ?? 0 }
                hosts.append(ClusterHostStatus(
                    cluster: cluster["name"]?.string ?? "",
                    address: "\(socket?["address"]?.string ?? "?"):\(socket?["port_value"]?.int ?? 0)",
                    health: host["health_status"]?["eds_health_status"]?.string ?? "UNKNOWN", stats: stats))
            }
        }
        return hosts
    }
}
