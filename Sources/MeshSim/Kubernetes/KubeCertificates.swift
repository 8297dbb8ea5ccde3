import Crypto
import Foundation
import SwiftASN1
import X509

/// The simulated API server's own PKI, fresh per run: a cluster CA, a serving certificate for
/// 127.0.0.1 / localhost / kubernetes, and the `sim-cert` user's client certificate (CN is the
/// user name, O=system:masters, as kubeadm issues them). PEM text, ready for a kubeconfig.
struct KubeCertificates: Sendable {
    let caPEM: String
    let serverCertificatePEM: String
    let serverKeyPEM: String
    let clientCertificatePEM: String
    let clientKeyPEM: String
    /// Kept to issue more client certificates (`issueClientCertificate`).
    private let caKey: Data
    private let caName: DistinguishedName

    init(now: Date = Date()) throws {
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("meshtop-sim-kubernetes-ca") }
        let notBefore = now.addingTimeInterval(-3600)
        let notAfter = now.addingTimeInterval(365 * 86400)
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(caKey.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: caName, subject: caName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
                SubjectKeyIdentifier(hash: Certificate.PublicKey(caKey.publicKey))
            }, issuerPrivateKey: Certificate.PrivateKey(caKey))
        caPEM = try ca.serializeAsPEM().pemString + "\n"
        self.caKey = caKey.rawRepresentation
        self.caName = caName

        let serverKey = P256.Signing.PrivateKey()
        let server = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(serverKey.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: caName,
            subject: try DistinguishedName { CommonName("kube-apiserver") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                Critical(BasicConstraints.notCertificateAuthority)
                SubjectAlternativeNames([.dnsName("localhost"), .dnsName("kubernetes"), .dnsName("kubernetes.default.svc"),
                                         .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            }, issuerPrivateKey: Certificate.PrivateKey(caKey))
        serverCertificatePEM = try server.serializeAsPEM().pemString + "\n"
        serverKeyPEM = serverKey.pemRepresentation + "\n"

        (clientCertificatePEM, clientKeyPEM) = try Self.clientCertificate(caKey: caKey, caName: caName, notBefore: notBefore, notAfter: notAfter)
    }

    /// Another certificate of the `sim-cert` user, valid from an hour ago for `lifetime` seconds
    /// from now (what a certificate-issuing exec plugin hands out).
    func issueClientCertificate(lifetime: TimeInterval, now: Date = Date()) throws -> (certificatePEM: String, keyPEM: String) {
        try Self.clientCertificate(caKey: try P256.Signing.PrivateKey(rawRepresentation: caKey), caName: caName, notBefore: now.addingTimeInterval(-3600), notAfter: now.addingTimeInterval(lifetime))
    }

    private static func clientCertificate(caKey: P256.Signing.PrivateKey, caName: DistinguishedName, notBefore: Date,
                                          notAfter: Date) throws -> (String, String) {
        let clientKey = P256.Signing.PrivateKey()
        let client = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(clientKey.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: caName,
            subject: try DistinguishedName {
                OrganizationName("system:masters")
                CommonName(KubeCredentials.clientCertificateName)
            }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.clientAuth])
                Critical(BasicConstraints.notCertificateAuthority)
            }, issuerPrivateKey: Certificate.PrivateKey(caKey))
        return (try client.serializeAsPEM().pemString + "\n", clientKey.pemRepresentation + "\n")
    }

    /// The common name of a client certificate presented in DER, if it has one.
    static func commonName(der: [UInt8]) -> String? {
        guard let certificate = try? Certificate(derEncoded: der) else { return nil }
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return attribute.value.description
            }
        }
        return nil
    }
}
