import Foundation

extension KubeAPIAccess {
    /// The API server of a resolved kubeconfig context (or the in-cluster service account):
    /// its TLS from the context's CA and client certificate (a plugin's, when it issues one),
    /// tokens from `credentials`, a 401 reported back to them.
    public static func make(_ context: ResolvedKubeContext, credentials: KubeCredentialProvider) async throws(SourceError) -> KubeAPIAccess {
        let identity = try await credentials.clientIdentity()
        let tls = try KubeTLS.configuration(context.tls, identity: identity)
        return KubeAPIAccess(server: context.server, tls: tls, tlsServerName: context.tls.tlsServerName, identity: context.credentialName,
                             bearer: { () async throws(SourceError) -> Credential? in try await credentials.bearer() },
                             rejected: { await credentials.rejected() })
    }

    /// Loads `kubeconfig` and makes the access of `context` (tests and `meshtop sim` users).
    public static func load(kubeconfig: String, context: String?, namespace: String? = nil) async throws(SourceError) -> (KubeAPIAccess, ResolvedKubeContext) {
        let resolved = try Kubeconfig.load(paths: [kubeconfig]).resolve(context: context, namespace: namespace)
        return (try await make(resolved, credentials: KubeCredentialProvider(context: resolved)), resolved)
    }
}
