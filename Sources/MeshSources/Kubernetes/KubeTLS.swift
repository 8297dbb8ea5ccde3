import Foundation
import NIOSSL

/// What a cluster and user say about TLS, with every file already read: a connection made from
/// it touches no kubeconfig path, so a file that disappears later cannot fail a poll midway.
public struct KubeTLSSettings: Sendable, Equatable {
    /// PEM; nil trusts the system's roots. Given, it is the only trust: client-go does not add
    /// the system roots to a kubeconfig's certificate authority.
    public var certificateAuthorityPEM: [UInt8]?
    public var insecureSkipTLSVerify: Bool
    /// The name to send as SNI and to check the server's certificate against, instead of the server URL's host.
    public var tlsServerName: String?
    public var clientCertificatePEM: [UInt8]?
    public var clientKeyPEM: [UInt8]?

    public init(certificateAuthorityPEM: [UInt8]? = nil, insecureSkipTLSVerify: Bool = false, tlsServerName: String? = nil,
                clientCertificatePEM: [UInt8]? = nil, clientKeyPEM: [UInt8]? = nil) {
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.tlsServerName = tlsServerName
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
    }

    /// The client certificate and key from the kubeconfig, when it gives both.
    public var clientIdentity: (certificatePEM: [UInt8], keyPEM: [UInt8])? {
        guard let clientCertificatePEM, let clientKeyPEM else { return nil }
        return (clientCertificatePEM, clientKeyPEM)
    }
}

/// NIOSSL configuration for the Kubernetes API server of a resolved context.
public enum KubeTLS {
    /// Trust roots from the settings' certificate authority (else the system's), no verification
    /// at all under insecure-skip-tls-verify, and the client identity — `identity` as
    /// `KubeCredentialProvider.clientIdentity()` gave it (it may come from an exec plugin), else
    /// the settings' own. Bad PEM is an error naming the field it came from.
    public static func configuration(_ settings: KubeTLSSettings,
                                     identity: (certificatePEM: [UInt8], keyPEM: [UInt8])?) throws(SourceError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if settings.insecureSkipTLSVerify {
            configuration.certificateVerification = .none
        } else if let authority = settings.certificateAuthorityPEM {
            configuration.trustRoots = .certificates(try certificates(authority, field: "certificate-authority"))
        }
        if let identity = identity ?? settings.clientIdentity {
            configuration.certificateChain = try certificates(identity.certificatePEM, field: "client-certificate").map { .certificate($0) }
            configuration.privateKey = .privateKey(try privateKey(identity.keyPEM))
            // A key that is not the certificate's would otherwise surface as a bare handshake failure on every poll.
            do { _ = try NIOSSLContext(configuration: configuration) } catch {
                throw SourceError(source: "kubernetes TLS", reason: .tls("client-certificate and client-key do not load together: \(error)"))
            }
        }
        return configuration
    }

    private static func certificates(_ pem: [UInt8], field: String) throws(SourceError) -> [NIOSSLCertificate] {
        let parsed: [NIOSSLCertificate]
        do { parsed = try NIOSSLCertificate.fromPEMBytes(pem) } catch {
            throw SourceError(source: "kubernetes TLS", reason: .tls("\(field) is not PEM certificates: \(error)"))
        }
        guard !parsed.isEmpty else { throw SourceError(source: "kubernetes TLS", reason: .tls("\(field) holds no PEM certificate")) }
        return parsed
    }

    /// PEM in any of OpenSSL's key formats: PKCS #8, SEC 1 EC, PKCS #1 RSA.
    private static func privateKey(_ pem: [UInt8]) throws(SourceError) -> NIOSSLPrivateKey {
        do { return try NIOSSLPrivateKey(bytes: pem, format: .pem) } catch {
            throw SourceError(source: "kubernetes TLS", reason: .tls("client-key is not a PEM private key: \(error)"))
        }
    }
}
