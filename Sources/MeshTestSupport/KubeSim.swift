import Foundation
import MeshSim

/// The simulator with its Kubernetes API, in process, and its kubeconfig in a temporary
/// directory, for the real clients (`kubectl`, the Python `kubernetes` package) to talk to.
public final class KubeSim: Sendable {
    public let server: SimServer
    public let directory: URL
    public let kubeconfig: String
    public let apiURL: String
    public let kubernetes: KubeAPIServer
    private let ticker: Task<Void, Never>

    /// `kubectl` as the machine image has it (Debian's kubernetes-client or Google's dispatcher).
    public static let kubectl: String? = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Whether `python3 -c 'import kubernetes'` works (`pip install kubernetes`, which `.ci/run` does).
    public static let pythonClient: Bool = {
        guard let outcome = try? ProcessRunner.runHere(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import kubernetes"]) else { return false }
        return outcome.status == 0
    }()

    public static func start(addressBase: String, tokenLifetime: TimeInterval = 900, configure: (inout SimOptions) -> Void = { _ in }) async throws -> KubeSim {
        var options = SimOptions()
        options.istiodPort = 0
        options.adminPort = 0
        options.adminAddressBase = addressBase
        var kube = KubeSimOptions()
        kube.tokenLifetime = tokenLifetime
        options.kube = kube
        configure(&options)
        let server = SimServer(simulator: try MeshSimulator(options: options), threads: 2)
        do {
            _ = try await server.start()
            return try KubeSim(server: server)
        } catch {
            await server.shutdown()
            throw error
        }
    }

    private init(server: SimServer) throws {
        guard let kubernetes = server.kubernetes else { throw SimProcess.Failed(description: "the simulator has no Kubernetes API") }
        self.server = server
        self.kubernetes = kubernetes
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-kube-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        kubeconfig = directory.appendingPathComponent("config").path
        try kubernetes.writeKubeconfig(to: kubeconfig)
        apiURL = kubernetes.url.withLock { $0 }
        ticker = Task { await server.run { _ in } }
    }

    /// Runs `kubectl ARGUMENTS` against the simulated cluster as `context`, with a home of its
    /// own (kubectl caches discovery there, per server address).
    public func kubectl(_ arguments: [String], context: KubeSimContext = .sim) async throws -> ProcessRunner.Outcome {
        guard let kubectl = Self.kubectl else { throw SimProcess.Failed(description: "kubectl is not installed") }
        var environment = ProcessInfo.processInfo.environment
        environment["KUBECONFIG"] = kubeconfig
        environment["HOME"] = directory.path
        return try await ProcessRunner.run(URL(fileURLWithPath: kubectl), ["--context", context.rawValue] + arguments, environment: environment)
    }

    /// Runs a Python script (given as text) with the kubeconfig path and context as arguments.
    public func python(_ script: String, _ arguments: [String] = [], context: KubeSimContext = .sim) async throws -> ProcessRunner.Outcome {
        let file = directory.appendingPathComponent("script-\(UUID().uuidString.prefix(6)).py")
        try script.write(to: file, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = directory.path
        return try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", file.path, kubeconfig, context.rawValue] + arguments,
                                           environment: environment)
    }

    public func stop() async {
        ticker.cancel()
        await ticker.value
        await server.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}
