import ArgumentParser
import Foundation
import MeshModel
import MeshSim

/// `meshtop sim`: runs the simulated mesh on loopback until SIGINT/SIGTERM.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run a simulated mesh (istiod debug API + one admin API per proxy: Envoy, Linkerd or MOSN) on loopback.",
        discussion: """
            The first line on stdout is `istiod: http://127.0.0.1:PORT`. Proxies listen on their own \
            loopback addresses (127.0.1.1, 127.0.1.2, …) on the admin port. Runs until SIGINT or SIGTERM and exits 0.

            Scenarios (`--scenario`, repeatable, or a YAML file with `--scenario-file`):
              error-spike service=reviews at=30s for=60s rate=0.3
              latency-regression service=ratings at=10s factor=8
              proxy-stale proxy=reviews-v2 at=20s for=2m
              cert-expiring workload=details-v1 left=2h
              cert-expired workload=ratings-v1 ago=1h
              weight-change virtualService=reviews at=30s weights=v1:0,v2:50,v3:50
              proxy-down proxy=productpage at=15s for=30s
              ztunnel-cert-expiring node=sim-worker-1 left=2h      (--dataplane ambient|mixed)
              ztunnel-down node=sim-worker-2 at=20s for=1m          (--dataplane ambient|mixed)
            """)

    @Option(help: "Generate a mesh of N services instead of Bookinfo.") var services: Int?
    @Option(help: "Seed for topology, names, traffic and nonces.") var seed: UInt64 = 1
    @Option(help: "istiod debug port on 127.0.0.1 (0 = any free port).") var istiodPort: Int = 15014
    @Option(help: "Admin port of every proxy (0 = any free port each).") var adminPort: Int = 15000
    @Option(help: "First loopback address handed to proxies.") var adminAddressBase: String = "127.0.1.1"
    @Option(help: "Bearer token that non-loopback callers of istiod's debug API must present.") var token: String?
    @Option(name: .customLong("namespace-token"), help: "NAMESPACE=TOKEN: a token limited to config_dump/ndsz/edsz of one namespace (repeatable).")
    var namespaceTokens: [String] = []
    @Flag(help: "Treat loopback callers as remote (to exercise the token rules on one machine).")
    var requireTokenFromLoopback = false
    @Option(help: "Workload certificate lifetime (e.g. 24h).") var leafLifetime: String = "24h"
    @Option(help: "Share of the leaf lifetime after which certificates rotate.") var rotateAt: Double = 0.5
    @Option(help: "Root CA lifetime (e.g. 3650d).") var rootLifetime: String = "3650d"
    @Option(help: "Intermediate CA lifetime.") var intermediateLifetime: String = "730d"
    @Option(help: "Number of proxies that stop acknowledging pushes (STALE).") var stale: Int = 0
    @Option(help: "Number of proxies that never get RDS (NOT SENT).") var notSent: Int = 0
    @Option(help: "Number of proxies that reject their CDS push (ERROR).") var xdsError: Int = 0
    @Option(help: "A scenario event, `KIND key=value …` (repeatable).") var scenario: [String] = []
    @Option(help: "A YAML file with a `scenarios:` list.") var scenarioFile: String?
    @Option(help: "Append `<unix-time> <method> <host:port> <path>` per request to FILE.") var logRequests: String?
    @Option(help: "Write every proxy's admin URL and labels to this YAML file.") var targetsFile: String?
    @Option(help: "Istio version the mesh reports.") var istioVersion: String = "1.24.2"
    @Option(help: "Which mesh the pods are in: istio (Envoy admin), linkerd (:4191 metrics), mosn (admin API), kuma, consul or envoy-gateway (plain Envoy admin, that mesh's cluster names, no istiod), or mixed (Istio, Linkerd and MOSN).")
    var mesh: SimMeshMode = .istio
    @Option(help: "Istio's data plane: sidecar, ambient (ztunnels on every node carry the pods' traffic) or mixed.")
    var dataplane: SimDataplane = .sidecar
    @Option(help: "Nodes of the simulated cluster (one ztunnel on each in ambient).") var nodes: Int = 3
    @Option(help: "Write a Prometheus configuration that scrapes the simulated proxies to FILE.") var prometheusConfig: String?
    @Option(help: "Simulated seconds per wall-clock second (soak tests).") var timeScale: Double = 1
    @Option(help: "Scrape interval written into --prometheus-config.") var scrapeInterval: String = "5s"
    @OptionGroup var hostile: SimFaultOptions
    @Flag(help: "Serve a Kubernetes API (HTTPS, own CA) in front of the mesh: pods reached only through it, as in a real cluster.")
    var kube = false
    @Option(help: "The Kubernetes API's port on 127.0.0.1 (0 = any free port).") var kubePort: Int = 0
    @Option(help: "Write a kubeconfig for the simulated cluster (contexts sim, sim-cert, sim-exec, sim-metrics, sim-view, sim-team) to FILE; implies --kube.")
    var kubeconfigOut: String?
    @Option(help: "Lifetime of the sim-exec context's plugin tokens (e.g. 15m).") var kubeTokenLifetime: String = "15m"
    @Option(help: "A Prometheus URL the cluster's istio-system/prometheus Service stands for (reached through the service proxy).")
    var kubePrometheus: String?

    func makeOptions() throws -> SimOptions {
        var options = SimOptions()
        options.services = services
        options.seed = seed
        options.istiodPort = istiodPort
        options.adminPort = adminPort
        options.adminAddressBase = adminAddressBase
        options.token = token
        for entry in namespaceTokens {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--namespace-token wants NAMESPACE=TOKEN, got \(entry)") }
            options.namespaceTokens[parts[0]] = parts[1]
        }
        options.requireTokenFromLoopback = requireTokenFromLoopback
        options.certificates.leafLifetime = try Duration.seconds(parsing: leafLifetime, context: "--leaf-lifetime")
        options.certificates.rootLifetime = try Duration.seconds(parsing: rootLifetime, context: "--root-lifetime")
        options.certificates.intermediateLifetime = try Duration.seconds(parsing: intermediateLifetime, context: "--intermediate-lifetime")
        guard rotateAt > 0, rotateAt <= 1 else { throw ValidationError("--rotate-at must be in (0, 1]") }
        options.certificates.rotateAt = rotateAt
        options.staleProxies = stale
        options.notSentProxies = notSent
        options.errorProxies = xdsError
        options.scenarios = try scenario.map { try ScenarioEvent.parse(inline: $0) }
        if let scenarioFile {
            guard let text = try? String(contentsOfFile: scenarioFile, encoding: .utf8) else {
                throw ValidationError("--scenario-file: cannot read \(scenarioFile)")
            }
            options.scenarios += try ScenarioEvent.parse(yaml: text, file: scenarioFile)
        }
        options.requestLogPath = logRequests
        options.istioVersion = istioVersion
        options.meshMode = mesh
        options.dataplane = dataplane
        options.nodes = nodes
        guard timeScale > 0, timeScale <= 3600 else { throw ValidationError("--time-scale must be in (0, 3600]") }
        options.timeScale = timeScale
        try hostile.apply(to: &options)
        if kube || kubeconfigOut != nil {
            guard mesh == .istio else { throw ValidationError("--kube simulates Istio on Kubernetes: --mesh must be istio") }
            guard dataplane == .sidecar else { throw ValidationError("--kube simulates sidecars only so far: --dataplane ambient|mixed runs without it (--targets-file lists the ztunnels)") }
            guard targetsFile == nil, prometheusConfig == nil else {
                throw ValidationError("--targets-file and --prometheus-config list direct admin URLs; with --kube the pods are reached through the Kubernetes API only")
            }
            var kubeOptions = KubeSimOptions()
            kubeOptions.port = kubePort
            kubeOptions.tokenLifetime = try Duration.seconds(parsing: kubeTokenLifetime, context: "--kube-token-lifetime")
            kubeOptions.prometheusURL = kubePrometheus
            options.kube = kubeOptions
        }
        return options
    }

    func run() async throws {
        let options: SimOptions
        let simulator: MeshSimulator
        do {
            options = try makeOptions()
            simulator = try MeshSimulator(options: options)
        } catch let error as SimError {
            throw ValidationError(error.description)
        }
        let server = SimServer(simulator: simulator)
        let istiodURL: String
        do {
            istiodURL = try await server.start()
        } catch {
            await server.shutdown()
            Console.write("meshtop sim: \(error)\n", to: .standardError)
            throw ExitCode(1)
        }
        let topology = simulator.topology
        let urls = server.adminURLs()
        Console.out("istiod: \(istiodURL)")
        if let kubernetes = server.kubernetes {
            Console.out("kubernetes: \(kubernetes.url.withLock { $0 }) (pods reached through it; istiod's port wants a token)")
            if let kubeconfigOut {
                do { try kubernetes.writeKubeconfig(to: kubeconfigOut) } catch {
                    Console.write("meshtop sim: cannot write --kubeconfig-out \(kubeconfigOut): \(error)\n", to: .standardError)
                    await server.shutdown()
                    throw ExitCode(1)
                }
                Console.out("kubeconfig: \(kubeconfigOut) (contexts: \(KubeSimContext.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        }
        if server.kubernetes != nil {
            Console.out("proxies: \(topology.proxies.count) pods, reached through the Kubernetes API only")
        } else {
            let proxied = topology.proxies.filter { !topology.isAmbient(proxy: $0.index) }.map(\.index)
            Console.out("proxies: \(proxied.count) admin APIs (\(proxied.first.flatMap { urls[$0] } ?? "") … \(proxied.last.flatMap { urls[$0] } ?? ""))")
            if let first = topology.ztunnels.first, let last = topology.ztunnels.last {
                let ambient = topology.proxies.count - proxied.count
                Console.out("ztunnels: \(topology.ztunnels.count) on \(topology.nodeNames.count) nodes, carrying \(ambient) ambient pods (\(urls[topology.proxies.count + first.index] ?? "") … \(urls[topology.proxies.count + last.index] ?? ""))")
            }
        }
        Console.out("services: \(topology.services.count) in \(topology.namespaces.count) namespaces, edges: \(topology.edges.count)")
        if let targetsFile {
            let text = TargetsFile.render(TargetsFile.targets(topology: topology, urls: urls))
            do { try text.write(toFile: targetsFile, atomically: true, encoding: .utf8) } catch {
                Console.write("meshtop sim: cannot write --targets-file \(targetsFile): \(error)\n", to: .standardError)
                await server.shutdown()
                throw ExitCode(1)
            }
            Console.out("targets: \(targetsFile)")
        }
        if let prometheusConfig {
            let text = TargetsFile.prometheusConfig(TargetsFile.targets(topology: topology, urls: urls), scrapeInterval: scrapeInterval)
            do { try text.write(toFile: prometheusConfig, atomically: true, encoding: .utf8) } catch {
                Console.write("meshtop sim: cannot write --prometheus-config \(prometheusConfig): \(error)\n", to: .standardError)
                await server.shutdown()
                throw ExitCode(1)
            }
            Console.out("prometheus config: \(prometheusConfig)")
        }
        let ticker = Task { await server.run { Console.err($0) } }
        let signal = await Signals.waitForTermination()
        Console.err("received \(signal), stopping")
        ticker.cancel()
        await ticker.value // no listener change may run while the event loops shut down
        await server.shutdown()
    }
}

/// Line-buffered output that reaches a pipe at once (tests read the first line while we run).
enum Console {
    static func out(_ line: String) {
        write(line + "\n")
    }

    static func err(_ line: String) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        write("\(stamp) \(line)\n", to: .standardError)
    }

    /// Every human-readable line meshtop prints goes through here: mesh names and remote error
    /// bodies lose their control characters and escape sequences (`TerminalText`). JSON and
    /// YAML exports are written as data, escaped by their encoders.
    static func write(_ text: String, to handle: FileHandle = .standardOutput) {
        handle.write(Data(TerminalText.cleanLines(text).utf8))
    }
}

/// `--mesh istio|linkerd|mosn|mixed`: the simulator's own words for which meshes its pods are in.
extension SimMeshMode: ExpressibleByArgument {}
extension SimDataplane: ExpressibleByArgument {}
