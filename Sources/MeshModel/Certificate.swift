import Foundation

/// Where a certificate sits in its chain.
public enum CertificateKind: String, Sendable, Codable, CaseIterable {
    case root
    case intermediate
    case leaf
}

/// One X.509 certificate seen on a proxy (or a CA certificate of the mesh).
public struct Certificate: Sendable, Codable, Hashable, Identifiable {
    /// The serial, or for a certificate known only by its expiry, the proxies it is on.
    public var id: String { serial.isEmpty ? "proxy:" + proxyIDs.joined(separator: ",") : serial }
    /// Lowercase hex without separators, as Envoy's `/certs` prints it; empty when unknown (a
    /// workload certificate seen only through `istio_agent_cert_expiry_seconds`).
    public var serial: String
    public var kind: CertificateKind
    public var subject: String?
    /// The SPIFFE URI SAN (`spiffe://cluster.local/ns/NS/sa/SA`) for workload certificates.
    public var spiffeID: String?
    public var notBefore: Date
    public var notAfter: Date
    /// Proxies on which this certificate was seen.
    public var proxyIDs: [String]
    public var health: HealthVerdict

    public init(
        serial: String, kind: CertificateKind, subject: String? = nil, spiffeID: String? = nil,
        notBefore: Date, notAfter: Date, proxyIDs: [String] = [],
        health: HealthVerdict = HealthVerdict(.unknown, reason: "not evaluated")
    ) {
        self.serial = serial
        self.kind = kind
        self.subject = subject
        self.spiffeID = spiffeID
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.proxyIDs = proxyIDs
        self.health = health
    }

    public var lifetime: TimeInterval { notAfter.timeIntervalSince(notBefore) }

    /// Whether its start is known. A certificate seen only through pilot-agent's expiry gauge
    /// (the pod-metrics tier) has `notBefore == notAfter`: its lifetime and the share used are
    /// unknown, and shown so, never guessed.
    public var startKnown: Bool { lifetime > 0 }

    /// The serial for people: the serial, or `(proxy)` when it is not known.
    public var label: String { serial.isEmpty ? "(\(proxyIDs.first ?? "unknown"))" : serial }

    /// A workload certificate known only by when it expires.
    public static func expiryOnly(notAfter: Date, proxyID: String) -> Certificate {
        Certificate(serial: "", kind: .leaf, notBefore: notAfter, notAfter: notAfter, proxyIDs: [proxyID])
    }

    /// Time left until `notAfter` (negative once expired).
    public func timeLeft(at now: Date) -> TimeInterval { notAfter.timeIntervalSince(now) }

    /// Share of the lifetime already used, 0...1 (above 1 once expired).
    public func lifetimeUsed(at now: Date) -> Double {
        guard lifetime > 0 else { return 1 }
        return now.timeIntervalSince(notBefore) / lifetime
    }

    public func isExpired(at now: Date) -> Bool { now >= notAfter }
}
