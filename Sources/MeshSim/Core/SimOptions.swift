import Foundation

/// Everything `meshtop sim` (and `meshtop demo`) can be told.
public struct SimOptions: Sendable {
    /// Generate a mesh of this many services instead of Bookinfo.
    public var services: Int?
    public var seed: UInt64 = 1
    /// istiod's debug port on 127.0.0.1 (0: any free port).
    public var istiodPort: Int = 15014
    /// The admin port every proxy listens on at its own loopback address (0: any free port each).
    public var adminPort: Int = 15000
    /// First loopback address handed to proxies.
    public var adminAddressBase: String = "127.0.1.1"
    /// Bearer token required from non-loopback debug callers (istiod ≥ 1.11 behaviour).
    public var token: String?
    /// Namespace-limited tokens: `namespace → token` (istiod ≥ 1.30 behaviour, 403 elsewhere).
    public var namespaceTokens: [String: String] = [:]
    /// Treat loopback callers as remote, so the token rules can be exercised on one machine.
    public var requireTokenFromLoopback = false
    public var certificates = CertificatePolicy()
    /// How many proxies start STALE, NOT SENT or in ERROR for some xDS type.
    public var staleProxies = 0
    public var notSentProxies = 0
    public var errorProxies = 0
    public var scenarios: [ScenarioEvent] = []
    /// Append one line per request received to this file.
    public var requestLogPath: String?
    public var istioVersion = "1.24.2"
    public var envoyVersion = "1.32.3"
    public var linkerdVersion = "stable-2.14.10"
    public var mosnVersion = "v1.6.0"
    /// Simulated seconds per wall-clock second (`--time-scale`, for soak tests: 30 runs an hour
    /// in two minutes). Rates read by a poller scale with it.
    public var timeScale: Double = 1
    /// Which mesh the services' pods are in (`--mesh`).
    public var meshMode: SimMeshMode = .istio
    /// Sidecars, Istio's ambient data plane, or some of each (`--dataplane`), on `nodes` nodes.
    public var dataplane: SimDataplane = .sidecar
    public var nodes = 3
    /// Misbehaving admin APIs (`--faults`), from `faultsAt` seconds after start, for `faultsFor`
    /// seconds (nil: until the simulator stops). Wall-clock seconds, not simulated ones.
    public var faults: [FaultSpec] = []
    public var faultsAt: TimeInterval = 0
    public var faultsFor: TimeInterval?
    /// Names, labels and route names carrying escape sequences, control characters and
    /// over-long text (`--hostile-names`), to prove none of it reaches a terminal raw.
    public var hostileNames = false
    /// Serve a Kubernetes API in front of the mesh (`--kube`): pods reached only through it.
    public var kube: KubeSimOptions?

    public init() {}
}

/// `meshtop sim --kube`: the simulated cluster's API server.
public struct KubeSimOptions: Sendable {
    /// The API server's port (0: any free port).
    public var port = 0
    /// The loopback address it listens on. Its certificate names 127.0.0.1, localhost and
    /// kubernetes: on another address a client must send `tls-server-name` (a test of it).
    public var host = "127.0.0.1"
    /// A real Prometheus the cluster's `istio-system/prometheus` Service stands for
    /// (`--kube-prometheus URL`): listed, and reached through the API server's service proxy.
    public var prometheusURL: String?
    /// How long the `sim-exec` context's plugin tokens last (`--kube-token-lifetime`).
    public var tokenLifetime: TimeInterval = 15 * 60

    public init() {}
}
