import Foundation

/// Writes the kubeconfig of the simulated cluster (`--kubeconfig-out FILE`): one cluster, the
/// five fixed contexts of `KubeSimContext`, current context `sim`, and next to it the `sim-exec`
/// context's credential plugin, a POSIX shell script that signs short-lived tokens with
/// `sha256sum` (so it needs nothing but coreutils and no way back to the server).
public enum KubeconfigWriter {
    public static let clusterName = "meshtop-sim"

    /// The plugin's path for a kubeconfig at `path`.
    public static func pluginPath(forKubeconfig path: String) -> String { path + ".credential" }

    static func write(to path: String, server: String, certificates: KubeCertificates, credentials: KubeCredentials) throws {
        let plugin = pluginPath(forKubeconfig: URL(fileURLWithPath: path).standardizedFileURL.path)
        try pluginScript(secret: credentials.execSecret, lifetime: Int(credentials.tokenLifetime.rounded()))
            .write(toFile: plugin, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plugin)
        try kubeconfig(server: server, certificates: certificates, credentials: credentials, plugin: plugin)
            .write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    static func kubeconfig(server: String, certificates: KubeCertificates, credentials: KubeCredentials, plugin: String) -> String {
        func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        var lines = [
            "# The simulated Kubernetes API of `meshtop sim --kube` (a new CA and new tokens every run).",
            "apiVersion: v1", "kind: Config", "preferences: {}",
            "clusters:", "- name: \(clusterName)", "  cluster:", "    server: \(server)",
            "    certificate-authority-data: \(base64(certificates.caPEM))",
            "contexts:",
        ]
        for context in KubeSimContext.allCases {
            lines += ["- name: \(context.rawValue)", "  context:", "    cluster: \(clusterName)", "    user: \(context.userName)"]
        }
        lines += ["current-context: \(KubeSimContext.sim.rawValue)", "users:"]
        for context in KubeSimContext.allCases {
            lines += ["- name: \(context.userName)", "  user:"]
            switch context {
            case .simCert:
                lines += ["    client-certificate-data: \(base64(certificates.clientCertificatePEM))",
                          "    client-key-data: \(base64(certificates.clientKeyPEM))"]
            case .simExec:
                lines += ["    exec:", "      apiVersion: client.authentication.k8s.io/v1", "      command: \(plugin)",
                          "      interactiveMode: Never", "      provideClusterInfo: false",
                          "      installHint: \"the plugin is written by meshtop sim --kube --kubeconfig-out next to the kubeconfig\""]
            case .sim, .simMetrics, .simView, .simTeam:
                lines += ["    token: \(credentials.tokens[context] ?? "")"]
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func pluginScript(secret: String, lifetime: Int) -> String {
        """
        #!/bin/sh
        # meshtop sim: credential plugin of the sim-exec context (client.authentication.k8s.io).
        # Prints an ExecCredential whose token the simulated API server accepts for \(lifetime) s.
        set -e
        now=$(date +%s)
        expiry=$((now + \(lifetime)))
        signature=$(printf '%s' "\(secret):$expiry" | sha256sum | cut -d' ' -f1)
        stamp=$(date -u -d "@$expiry" +%Y-%m-%dT%H:%M:%SZ)
        api=client.authentication.k8s.io/v1
        case "${KUBERNETES_EXEC_INFO:-}" in *v1beta1*) api=client.authentication.k8s.io/v1beta1 ;; esac
        printf '{"kind":"ExecCredential","apiVersion":"%s","status":{"token":"sim-exec.%s.%s","expirationTimestamp":"%s"}}\\n' \\
            "$api" "$expiry" "$signature" "$stamp"

        """
    }
}
