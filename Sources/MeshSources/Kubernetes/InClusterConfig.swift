import Foundation

/// The service account a pod runs as, for meshtop running inside the cluster: what client-go's
/// `rest.InClusterConfig` reads.
public enum InClusterConfig {
    public static let contextName = "in-cluster"
    public static let defaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// nil when not in a pod (`KUBERNETES_SERVICE_HOST` or `_PORT` unset). In a pod, the token
    /// must be readable — a pod with `automountServiceAccountToken: false` gets an error saying
    /// so — and is used as `.tokenFile`, because the kubelet rotates it (hourly by default). A
    /// missing ca.crt leaves the system's roots, as client-go does; the namespace
    /// is `POD_NAMESPACE`, else the namespace file, else `default`.
    public static func detect(environment: [String: String],
                              serviceAccountDirectory: String = defaultServiceAccountDirectory) throws(SourceError) -> ResolvedKubeContext? {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else { return nil }
        let directory = URL(fileURLWithPath: serviceAccountDirectory, isDirectory: true)
        let tokenPath = directory.appendingPathComponent("token").path
        if case let .failure(why) = KubeFile.read(tokenPath) {
            throw SourceError(source: "in-cluster service account",
                              reason: .auth(.credential("KUBERNETES_SERVICE_HOST is set but the token \(tokenPath) cannot be read: \(why) "
                                                        + "(is automountServiceAccountToken off for this pod?)")))
        }
        let authority = try? KubeFile.read(directory.appendingPathComponent("ca.crt").path).get()
        let namespaceFile = (try? KubeFile.read(directory.appendingPathComponent("namespace").path).get())
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        let namespace = [environment["POD_NAMESPACE"], namespaceFile].compactMap { $0 }.first { !$0.isEmpty } ?? "default"
        // An IPv6 service address needs brackets in a URL, as Go's net.JoinHostPort writes it.
        let authorityHost = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return ResolvedKubeContext(
            contextName: contextName, clusterName: contextName, userName: "serviceaccount",
            server: "https://\(authorityHost):\(port)", namespace: namespace,
            tls: KubeTLSSettings(certificateAuthorityPEM: authority.flatMap { $0.isEmpty ? nil : $0 }),
            auth: .tokenFile(tokenPath))
    }
}
