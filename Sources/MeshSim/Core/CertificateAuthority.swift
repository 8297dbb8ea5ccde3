import Crypto
import Foundation
import SwiftASN1
import X509

/// A certificate the simulated CA issued, kept as PEM (for config dumps) and with the fields
/// Envoy's `/certs` reports.
public struct IssuedCertificate: Sendable, Equatable {
    public var serialHex: String
    public var notBefore: Date
    public var notAfter: Date
    public var spiffeID: String?
    public var pem: String
}

extension IssuedCertificate {
    /// The serial in decimal, as ztunnel's config dump writes serials (128 bits and more).
    public var serialDecimal: String {
        var digits: [Int] = [0]
        for character in serialHex {
            guard let nibble = character.hexDigitValue else { continue }
            var carry = nibble
            for index in digits.indices.reversed() {
                let value = digits[index] * 16 + carry
                digits[index] = value % 10
                carry = value / 10
            }
            while carry > 0 { digits.insert(carry % 10, at: 0); carry /= 10 }
        }
        return digits.map(String.init).joined()
    }
}

/// Lifetimes and rotation policy of the simulated mesh CA (defaults: Istio's).
public struct CertificatePolicy: Sendable, Equatable {
    public var rootLifetime: TimeInterval = 10 * 365 * 86400
    public var intermediateLifetime: TimeInterval = 2 * 365 * 86400
    public var leafLifetime: TimeInterval = 86400
    /// Share of the leaf lifetime after which the agent rotates it (Istio: 50 %).
    public var rotateAt: Double = 0.5

    public init() {}
}

/// A real X.509 CA (root → intermediate → workload leaves with SPIFFE URI SANs), built with
/// swift-certificates. Keys are ECDSA P-256 derived from the seeded generator, so `--seed`
/// reproduces keys and serials (ECDSA signatures themselves stay randomised).
public struct CertificateAuthority: Sendable {
    public let trustDomain: String
    public let root: IssuedCertificate
    public let intermediate: IssuedCertificate
    /// Raw key bytes: swift-crypto's key type is not Sendable, its bytes are.
    private let intermediateKeyBytes: [UInt8]
    private let intermediateName: DistinguishedName

    public init(trustDomain: String = "cluster.local", policy: CertificatePolicy, now: Date, random: inout SimRandom) throws {
        self.trustDomain = trustDomain
        let rootKey = try Self.makeKey(&random)
        let rootName = try DistinguishedName {
            OrganizationName(trustDomain)
            CommonName("Root CA")
        }
        let rootNotBefore = now.addingTimeInterval(-min(policy.rootLifetime / 2, 30 * 86400))
        root = try Self.issue(
            serial: Self.serial(&random), subject: rootName, issuer: rootName, publicKey: rootKey.publicKey,
            signer: rootKey, notBefore: rootNotBefore, notAfter: rootNotBefore.addingTimeInterval(policy.rootLifetime),
            extensions: Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            })
        let interKey = try Self.makeKey(&random)
        let interName = try DistinguishedName {
            OrganizationName("Istio")
            CommonName("Intermediate CA")
            LocalityName("cluster1")
        }
        let interNotBefore = now.addingTimeInterval(-min(policy.intermediateLifetime / 2, 20 * 86400))
        intermediate = try Self.issue(
            serial: Self.serial(&random), subject: interName, issuer: rootName, publicKey: interKey.publicKey,
            signer: rootKey, notBefore: interNotBefore,
            notAfter: interNotBefore.addingTimeInterval(policy.intermediateLifetime),
            extensions: Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            })
        intermediateKeyBytes = Array(interKey.rawRepresentation)
        intermediateName = interName
    }

    /// Issues a workload certificate (empty subject, critical SPIFFE URI SAN, as istiod does).
    public func issueLeaf(namespace: String, serviceAccount: String, notBefore: Date, lifetime: TimeInterval,
                          random: inout SimRandom) throws -> IssuedCertificate {
        try issueLeafWithKey(namespace: namespace, serviceAccount: serviceAccount, notBefore: notBefore, lifetime: lifetime, random: &random).certificate
    }

    /// A workload certificate and its private key (PEM, SEC 1), for a real proxy to serve with.
    public func issueLeafWithKey(namespace: String, serviceAccount: String, notBefore: Date, lifetime: TimeInterval,
                                 random: inout SimRandom) throws -> (certificate: IssuedCertificate, keyPEM: String) {
        let key = try Self.makeKey(&random)
        let intermediateKey = try P256.Signing.PrivateKey(rawRepresentation: intermediateKeyBytes)
        let spiffe = "spiffe://\(trustDomain)/ns/\(namespace)/sa/\(serviceAccount)"
        var leaf = try Self.issue(
            serial: Self.serial(&random), subject: DistinguishedName(), issuer: intermediateName,
            publicKey: key.publicKey, signer: intermediateKey, notBefore: notBefore,
            notAfter: notBefore.addingTimeInterval(lifetime),
            extensions: Certificate.Extensions {
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(SubjectAlternativeNames([.uniformResourceIdentifier(spiffe)]))
            })
        leaf.spiffeID = spiffe
        return (leaf, key.pemRepresentation + "\n")
    }

    /// The chain a workload presents: its leaf followed by the intermediate (Istio's cert-chain.pem).
    public func chainPEM(leaf: IssuedCertificate) -> String { leaf.pem + intermediate.pem }

    private static func makeKey(_ random: inout SimRandom) throws -> P256.Signing.PrivateKey {
        for _ in 0..<16 {
            var bytes: [UInt8] = []
            for _ in 0..<4 { withUnsafeBytes(of: random.next().bigEndian) { bytes += $0 } }
            if let key = try? P256.Signing.PrivateKey(rawRepresentation: bytes) { return key }
        }
        return P256.Signing.PrivateKey()
    }

    /// A positive 128-bit serial (leading byte below 0x80 so DER needs no padding byte).
    private static func serial(_ random: inout SimRandom) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<2 { withUnsafeBytes(of: random.next().bigEndian) { bytes += $0 } }
        bytes[0] = bytes[0] & 0x7F | 0x01
        return bytes
    }

    private static func issue(serial: [UInt8], subject: DistinguishedName, issuer: DistinguishedName,
                              publicKey: P256.Signing.PublicKey, signer: P256.Signing.PrivateKey,
                              notBefore: Date, notAfter: Date, extensions: Certificate.Extensions) throws -> IssuedCertificate {
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: serial),
            publicKey: Certificate.PublicKey(publicKey), notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: issuer, subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(signer))
        let pem = try certificate.serializeAsPEM().pemString + "\n"
        let hex = serial.map { String(format: "%02x", $0) }.joined()
        // The dates as the certificate encodes them (whole seconds), so every face that shows them
        // (/certs, a ztunnel's dump) agrees with the PEM to the second.
        return IssuedCertificate(serialHex: hex, notBefore: certificate.notValidBefore, notAfter: certificate.notValidAfter, spiffeID: nil, pem: pem)
    }
}
