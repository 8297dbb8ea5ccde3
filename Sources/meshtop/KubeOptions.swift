import ArgumentParser
import Foundation
import MeshModel
import MeshPoller
import MeshSources
import Synchronization

/// Reaching a mesh through a Kubernetes cluster's API, as kubectl does: the kubeconfig
/// (`KUBECONFIG`, merged as kubectl merges it, or `--kubeconfig`), a context, a namespace; or,
/// in a pod, its service account.
struct KubeOptions: ParsableArguments {
    @Option(help: "kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).") var kubeconfig: String?
    @Option(help: "kubeconfig context (default: the current context).") var context: String?
    @Option(name: .shortAndLong, help: "Only proxies in this namespace (istiod is still found in istio-system).") var namespace: String?
    @Flag(name: [.customShort("A"), .long], help: "Proxies in every namespace (the default).") var allNamespaces = false
    @Option(help: "Port-forwards open at once.") var maxPortForwards: Int = 16

    /// The same flags with another context or namespace (`:ctx NAME`, `:ns NAME`).
    func with(_ scope: KubeScope) -> KubeOptions {
        var copy = self
        copy.context = scope.context
        copy.namespace = scope.namespace
        copy.allNamespaces = scope.namespace == nil
        return copy
    }

    /// The context (nil: the current one) and namespace (nil: all) these flags poll.
    var scope: KubeScope { KubeScope(context: context, namespace: allNamespaces ? nil : namespace) }

    /// Whether these flags ask for a cluster.
    var named: Bool { kubeconfig != nil || context != nil || namespace != nil || allNamespaces }

    /// A kubeconfig exists (or we run in a pod), so a cluster is the default source. A
    /// `KUBECONFIG` set in the environment asks for one too: when none of its files exists, that
    /// is the error to show, not "give a source".
    static var available: Bool {
        let environment = ProcessInfo.processInfo.environment
        if let listed = environment["KUBECONFIG"], !listed.isEmpty { return true }
        if let paths = try? KubeconfigFiles.paths(explicit: nil, environment: environment, home: NSHomeDirectory()),
           paths.contains(where: { FileManager.default.fileExists(atPath: $0) }) { return true }
        return environment["KUBERNETES_SERVICE_HOST"] != nil
    }

    /// The context to use: the kubeconfig's (the named or current one), else the pod's
    /// service account when there is no kubeconfig but a pod environment.
    func resolve() throws(SourceError) -> ResolvedKubeContext {
        let environment = ProcessInfo.processInfo.environment
        if kubeconfig == nil, context == nil,
           !((try? KubeconfigFiles.paths(explicit: nil, environment: environment, home: NSHomeDirectory())) ?? []).contains(where: { FileManager.default.fileExists(atPath: $0) }),
           let inCluster = try InClusterConfig.detect(environment: environment) {
            return inCluster
        }
        let paths = try KubeconfigFiles.paths(explicit: kubeconfig, environment: environment, home: NSHomeDirectory())
        return try Kubeconfig.load(paths: paths).resolve(context: context, namespace: namespace)
    }

    /// Connects: credentials first (an interactive exec plugin runs now, before the console
    /// takes the screen), then the access review; the pods are listed in the background, so a
    /// console is up while a large cluster's pods arrive. What it returns polls the cluster; the
    /// transport also carries the session's operator actions.
    /// `findPrometheus`: no Prometheus was named; the prometheus-only tier looks for one in the cluster.
    func connect(timeout: Double, bodyLimit: Int, interactive: Bool = isatty(STDIN_FILENO) == 1,
                 findPrometheus: Bool = false) async throws(SourceError) -> (KubernetesTransport, KubeMeshInventory) {
        guard maxPortForwards > 0 else { throw SourceError(source: "--max-port-forwards", reason: .other("must be at least 1")) }
        let resolved = try resolve()
        if let proxy = resolved.proxyURL, !proxy.isEmpty {
            // Said at once: ignored, every request would time out against an unreachable server.
            throw SourceError(source: "kubernetes context \(resolved.contextName)", reason: .other(
                "cluster \(resolved.clusterName) is reached through proxy-url \(SecretRedaction.url(proxy)), which meshtop does not support yet: "
                    + "run it where the API server answers directly (a bastion host, or in the cluster)"))
        }
        let credentials = KubeCredentialProvider(context: resolved, interactive: interactive)
        _ = try await credentials.bearer()
        await credentials.setInteractive(false)
        let access = try await KubeAPIAccess.make(resolved, credentials: credentials)
        let transport = KubernetesTransport(api: access, timeout: timeout, bodyLimit: bodyLimit, maxPortForwards: maxPortForwards)
        do {
            let inventory = try await KubeMeshInventory.start(
                client: MeshClient(transport: transport, policy: .readOnly), context: resolved.contextName, cluster: resolved.clusterName,
                server: resolved.server, namespace: allNamespaces ? nil : namespace, refusals: transport.refusals,
                podNetwork: resolved.contextName == InClusterConfig.contextName, findPrometheus: findPrometheus)
            return (transport, inventory)
        } catch {
            await transport.shutdown()
            throw error.named("kubernetes context \(resolved.contextName) (\(SecretRedaction.url(resolved.server)))")
        }
    }
}

/// Which part of a cluster a console polls: a kubeconfig context (nil: the current one) and a
/// namespace (nil: every namespace).
struct KubeScope: Sendable, Equatable {
    var context: String?
    var namespace: String?
}

/// The scope a console session polls now, changed by `:ctx` and `:ns` once the switch answered.
final class CurrentScope: Sendable {
    let value: Mutex<KubeScope>

    init(_ scope: KubeScope) { value = Mutex(scope) }
}
