import ArgumentParser
import Foundation
import MeshFeed
import MeshPoller
import MeshSim
import MeshSources
import MeshTerminal
import MeshStore
import MeshUI

/// Looks shared by `console` and `demo`.
struct LookOptions: ParsableArguments {
    @Option(help: "Theme: default, light, high-contrast, colorblind, mono.") var theme: String?
    @Flag(help: "ASCII glyphs instead of box drawing and blocks.") var ascii = false
    @Flag(help: "Mouse support: click a tab or a row.") var mouse = false
    @Option(help: "Seconds between polls (default 2).") var refresh: Double?
    @Option(help: "Configuration file (default: $XDG_CONFIG_HOME/meshtop/config.yaml).") var config: String?

    func settings() throws -> MeshtopConfig { try MeshtopConfig.load(path: config) }

    func refreshInterval(_ settings: MeshtopConfig) -> Double { refresh ?? settings.refresh ?? 2 }

    func console(_ settings: MeshtopConfig, readOnly: Bool = false) throws -> ConsoleOptions {
        let theme = self.theme ?? settings.theme ?? "default"
        var options = ConsoleOptions(themes: try ConsoleSession.loadThemes(), themeName: theme)
        guard options.themes[theme] != nil else {
            throw ValidationError("no theme \(theme) (have: \(options.themes.keys.sorted().joined(separator: ", ")))")
        }
        options.ascii = ascii
        options.mouse = mouse
        options.readOnly = readOnly
        return options
    }
}

/// `meshtop console`: the interactive console on a real mesh.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console", abstract: "The interactive console (curses, full screen). `?` lists the keys.")

    @OptionGroup var sources: SourceOptions
    @Option(help: "Show a capture directory instead of polling: dir:PATH (re-read every refresh).") var source: String?
    @OptionGroup var look: LookOptions
    @OptionGroup var history: HistoryOptions
    @Flag(help: "No history store: no time travel, charts or stored events.") var noHistory = false
    @Flag(help: "No operator actions: the transport sends GET and HEAD only.") var readonly = false

    func run() async throws {
        let settings = try look.settings()
        // Everything that can fail before the poller (and its HTTP client) exists.
        let console = try look.console(settings, readOnly: readonly)
        let store = noHistory ? nil : HistorySetting(path: history.path(settings), retention: try history.retention(settings))
        let policy: RequestPolicy = readonly ? .readOnly : .operatorActions
        let feedSource: any FeedSource
        var historySetting = store
        if let source {
            guard source.hasPrefix("dir:") else { throw ValidationError("--source must be dir:PATH") }
            // A capture directory does not change: history only when a store is named.
            feedSource = DirectoryFeedSource(path: String(source.dropFirst(4)))
            historySetting = history.db == nil ? nil : store
        } else {
            do { feedSource = PollerFeedSource(try await sources.makePoller(settings)) } catch let error as UsageError {
                throw ValidationError(error.message + ", or try `meshtop demo`")
            }
        }
        var session = ConsoleSession.Session(
            source: feedSource, interval: look.refreshInterval(settings), console: console,
            thresholds: settings.healthThresholds, serviceThresholds: settings.serviceThresholds, history: historySetting, policy: policy)
        if source == nil, sources.usesKubernetes(settings) {
            let sources = self.sources
            session.reconnect = { scope in try await sources.kubePoller(settings, kube: sources.kube.with(scope), interactive: false) }
            session.scope = sources.kube.scope
        }
        try await ConsoleSession.run(session)
    }
}

/// `meshtop demo`: the simulated Bookinfo mesh in-process, and the console on it.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Start the simulated mesh on loopback and open the console on it (no configuration needed).")

    @Option(help: "Generate a mesh of N services instead of Bookinfo.") var services: Int?
    @Option(help: "Which mesh the simulated pods are in: istio, linkerd, mosn, kuma, consul, envoy-gateway or mixed.") var mesh: SimMeshMode = .istio
    @Option(help: "Istio's data plane: sidecar, ambient or mixed.") var dataplane: SimDataplane = .sidecar
    @Option(help: "First loopback address for the simulated proxies.") var adminAddressBase: String = "127.0.200.1"
    @Option(help: "A simulator scenario, `KIND key=value …` (repeatable).") var scenario: [String] = []
    @OptionGroup var look: LookOptions
    @OptionGroup var hostile: SimFaultOptions
    @Option(help: "History store for the demo (default :memory:, so the simulated mesh never mixes with real history).") var db: String = ":memory:"
    @Flag(help: "Poll the simulated proxies directly instead of through its Kubernetes API (the path real clusters use).") var direct = false

    func run() async throws {
        var options = SimOptions()
        options.services = services
        options.istiodPort = 0
        options.adminPort = 0
        options.adminAddressBase = adminAddressBase
        options.staleProxies = 1
        options.meshMode = mesh
        options.dataplane = dataplane
        do {
            options.scenarios = try scenario.map { try ScenarioEvent.parse(inline: $0) }
        } catch let error as SimError {
            throw ValidationError(error.description)
        }
        try hostile.apply(to: &options)
        // Through the simulated Kubernetes API by default, so the path newcomers see is the one
        // real clusters use; the simulated cluster runs Istio only, so other meshes go direct.
        // The simulated cluster does not model the ambient data plane yet: ambient demos go direct.
        let throughKubernetes = !direct && mesh == .istio && dataplane == .sidecar
        if throughKubernetes { options.kube = KubeSimOptions() }
        let settings = try look.settings()
        let console = try look.console(settings)
        let server = SimServer(simulator: try MeshSimulator(options: options), threads: 1)
        let istiod = try await server.start()
        let ticker = Task { await server.run { _ in } }
        let poller: MeshPoller
        var reconnect: (@Sendable (KubeScope) async throws -> MeshPoller)?
        let kubeconfigDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-demo-\(getpid())")
        defer { try? FileManager.default.removeItem(at: kubeconfigDirectory) }
        if throughKubernetes, let kubernetes = server.kubernetes {
            try FileManager.default.createDirectory(at: kubeconfigDirectory, withIntermediateDirectories: true)
            let kubeconfig = kubeconfigDirectory.appendingPathComponent("config").path
            try kubernetes.writeKubeconfig(to: kubeconfig)
            let kube = try KubeOptions.parse(["--kubeconfig", kubeconfig, "--context", KubeSimContext.sim.rawValue])
            // `:ctx sim-metrics` and `:ns NAME` work in the demo as on a real cluster.
            let connect = { @Sendable (scope: KubeScope) async throws -> MeshPoller in
                let (transport, inventory) = try await kube.with(scope).connect(timeout: 5, bodyLimit: 64 << 20, interactive: false)
                var pollerOptions = PollerOptions()
                pollerOptions.inventory = inventory
                return MeshPoller(options: pollerOptions, client: MeshClient(transport: transport, policy: .operatorActions))
            }
            poller = try await connect(kube.scope)
            reconnect = connect
        } else {
            var pollerOptions = PollerOptions()
            // Kuma, Consul and Envoy Gateway have no istiod: their Envoys are the whole story.
            pollerOptions.istiodURLs = mesh.hasIstio ? [istiod] : []
            pollerOptions.targets = TargetsFile.targets(topology: server.simulator.topology, urls: server.adminURLs()).map {
                ScrapeTarget(url: $0.url, labels: Dictionary(uniqueKeysWithValues: $0.labels))
            }
            poller = try MeshPoller(options: pollerOptions)
        }
        var session = ConsoleSession.Session(
            source: PollerFeedSource(poller), interval: look.refreshInterval(settings),
            console: console, thresholds: settings.healthThresholds, serviceThresholds: settings.serviceThresholds,
            history: HistorySetting(path: db, retention: Retention()))
        session.reconnect = reconnect
        session.scope = KubeScope(context: KubeSimContext.sim.rawValue)
        try await ConsoleSession.run(session)
        ticker.cancel()
        await ticker.value // no listener change may run while the event loops shut down
        await server.shutdown()
    }
}
