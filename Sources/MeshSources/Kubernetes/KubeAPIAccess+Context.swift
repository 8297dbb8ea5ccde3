import Foundation
import NIOSSL
import Synchronization

extension KubeAPIAccess {
    /// The API server of a resolved kubeconfig context (or the in-cluster service account):
    /// its TLS from the context's CA and client certificate (a plugin's, when it issues one, and
    /// the next one when that expires), tokens from `credentials`, a 401 reported back to them.
    public static func make(_ context: ResolvedKubeContext, credentials: KubeCredentialProvider) async throws(SourceError) -> KubeAPIAccess {
        let identity = try await credentials.clientIdentity()
        let tls = try KubeTLS.configuration(context.tls, identity: identity)
        var access = KubeAPIAccess(server: context.server, tls: tls, tlsServerName: context.tls.tlsServerName, identity: context.credentialName,
                                   bearer: { () async throws(SourceError) -> Credential? in try await credentials.bearer() },
                                   rejected: { await credentials.rejected() })
        if case .exec = context.auth {
            let current = IdentityTLS(identity: identity?.certificatePEM, tls: tls)
            access.tlsNow = { () async throws(SourceError) -> (tls: TLSConfiguration, generation: Int) in
                let identity = try await credentials.clientIdentity()
                return try current.configuration(for: identity) { () throws(SourceError) in try KubeTLS.configuration(context.tls, identity: identity) }
            }
        }
        return access
    }

    /// Loads `kubeconfig` and makes the access of `context` (tests and `meshtop sim` users).
    public static func load(kubeconfig: String, context: String?, namespace: String? = nil) async throws(SourceError) -> (KubeAPIAccess, ResolvedKubeContext) {
        let resolved = try Kubeconfig.load(paths: [kubeconfig]).resolve(context: context, namespace: namespace)
        return (try await make(resolved, credentials: KubeCredentialProvider(context: resolved)), resolved)
    }
}

/// The TLS configuration of the client certificate an exec plugin handed out last, rebuilt (a
/// new generation) when it hands out another.
final class IdentityTLS: Sendable {
    private let state: Mutex<(certificate: [UInt8]?, tls: TLSConfiguration, generation: Int)>

    init(identity: [UInt8]?, tls: TLSConfiguration) { state = Mutex((identity, tls, 0)) }

    func configuration(for identity: (certificatePEM: [UInt8], keyPEM: [UInt8])?,
                       build: () throws(SourceError) -> TLSConfiguration) throws(SourceError) -> (tls: TLSConfiguration, generation: Int) {
        let current = state.withLock { $0 }
        guard identity?.certificatePEM != current.certificate else { return (current.tls, current.generation) }
        let tls = try build()
        return state.withLock { value in
            value = (identity?.certificatePEM, tls, value.generation + 1)
            return (tls, value.generation)
        }
    }
}
