import Foundation
import MeshModel

/// The whole simulated mesh at one instant: topology, routing revisions, traffic, certificates,
/// xDS nonces and per-proxy runtime. A value type; `MeshSimulator` guards the one live copy.
public struct SimulatorState: Sendable {
    public let options: SimOptions
    public let topology: SimTopology
    public let startedAt: Date
    public let ca: CertificateAuthority
    public internal(set) var revisions: [RoutingConfig]
    public internal(set) var traffic: TrafficModel
    public internal(set) var proxies: [ProxyRuntime]
    public internal(set) var pushCount = 0
    public internal(set) var lastPushAt: Date
    /// Steps of `tickSeconds` simulated so far.
    public internal(set) var elapsedTicks = 0
    var random: SimRandom
    var scenarioActive: [Bool]
    /// Ztunnels that stopped answering (`ztunnel-down`), by index.
    public internal(set) var ztunnelsDown: Set<Int> = []
    /// Events worth a log line on the simulator's stderr (scenario starts and ends, actions).
    public internal(set) var journal: [String] = []

    public let istiodName: String
    public let istiodRevision: String

    public init(options: SimOptions, now: Date = Date()) throws {
        self.options = options
        let seed = options.seed
        var topology = try options.services.map { try SimTopology.generated(services: $0, seed: seed, adminBase: options.adminAddressBase) }
            ?? SimTopology.bookinfo(seed: seed, adminBase: options.adminAddressBase)
        topology.assignMeshes(options.meshMode)
        guard options.dataplane == .sidecar || options.meshMode == .istio else {
            throw SimError.invalidOption("--dataplane \(options.dataplane.rawValue) is Istio's: --mesh must be istio")
        }
        guard (1...500).contains(options.nodes) else { throw SimError.invalidOption("--nodes must be 1 to 500") }
        topology.assignDataplane(options.dataplane, nodes: options.nodes, adminBase: IPv4.parse(options.adminAddressBase) ?? 0)
        if options.hostileNames { topology.makeHostile() }
        self.topology = topology
        startedAt = now
        lastPushAt = now
        random = SimRandom(seed: seed ^ 0x5EED)
        istiodName = "istiod-\(random.hex(bytes: 5).prefix(9))-\(random.hex(bytes: 3).prefix(5))"
        istiodRevision = random.hex(bytes: 20)
        ca = try CertificateAuthority(policy: options.certificates, now: now, random: &random)
        revisions = [topology.routing]
        traffic = TrafficModel(topology: topology)
        proxies = topology.proxies.map { _ in ProxyRuntime(startedAt: now) }
        scenarioActive = options.scenarios.map { _ in false }
        for event in options.scenarios { try validateTargets(event) }
        for index in proxies.indices {
            // Pods started at different times: spread uptimes and certificate ages.
            proxies[index].startedAt = now.addingTimeInterval(-Double(random.int(in: 300...(6 * 3600))))
            try issueLeaf(for: index, now: now, age: random.unit() * options.certificates.leafLifetime * options.certificates.rotateAt)
        }
        applyConfiguredSyncProblems(now: now)
        // The first full push reached everyone; the stale ones stop acknowledging after it.
        let refusing = proxies.map(\.refusesPushes)
        for index in proxies.indices { proxies[index].refusesPushes = false }
        push(types: XDSType.allCases, now: now.addingTimeInterval(-Double(random.int(in: 120...900))))
        for index in proxies.indices { proxies[index].refusesPushes = refusing[index] }
        // A later incremental push that the stale proxies never acknowledged: STALE well past 60 s.
        push(types: [.cds, .eds, .rds], now: now.addingTimeInterval(-Double(random.int(in: 90...300))))
        updateRates()
    }

    // MARK: - Time

    /// Runs the mesh forward to `now`: scenario transitions, one second of traffic per tick, and
    /// certificate rotation.
    public mutating func advance(to now: Date) {
        let target = Int((now.timeIntervalSince(startedAt) / Self.tickSeconds).rounded(.down))
        guard target > elapsedTicks else { return }
        // After a long pause, catch up in one step instead of thousands of ticks.
        let limit = Int(120 / Self.tickSeconds)
        if target - elapsedTicks > limit {
            let skipped = target - elapsedTicks - limit
            traffic.advance(seconds: Double(skipped) * Self.tickSeconds, topology: topology, effects: trafficEffects(), random: &random)
            elapsedTicks += skipped
        }
        while elapsedTicks < target {
            elapsedTicks += 1
            let tickTime = startedAt.addingTimeInterval(Double(elapsedTicks) * Self.tickSeconds)
            applyScenarioTransitions(now: tickTime)
            traffic.advance(seconds: Self.tickSeconds, topology: topology, effects: trafficEffects(), random: &random)
        }
        rotateCertificates(now: now)
    }

    /// Traffic advances in steps this long: fine enough that a poll a few seconds apart sees the
    /// configured rate within a few percent, whatever its phase against the steps.
    public static let tickSeconds = 0.1

    /// Traffic adjustments of the scenarios active now, by destination service.
    func trafficEffects() -> [Int: TrafficEffect] {
        var effects: [Int: TrafficEffect] = [:]
        for (index, event) in options.scenarios.enumerated() where scenarioActive[index] {
            guard let name = event.settings["service"], let service = service(named: name) else { continue }
            switch event.kind {
            case .errorSpike:
                effects[service, default: TrafficEffect()].serverErrorRate = Double(event.settings["rate"] ?? "") ?? 0.3
            case .latencyRegression:
                effects[service, default: TrafficEffect()].latencyFactor *= Double(event.settings["factor"] ?? "") ?? 5
            default: break
            }
        }
        return effects
    }

    // MARK: - Rates

    /// Which proxies take traffic: present and not draining.
    var serving: [Bool] { proxies.map { $0.present && !$0.healthCheckFailed } }

    mutating func updateRates() {
        let revisions = revisions
        let proxies = proxies
        traffic.updateRates(topology: topology, serving: serving) { proxy in
            revisions[max(0, min(revisions.count - 1, proxies[proxy].appliedRevision - 1))]
        }
    }

    /// The routing revision a proxy has applied.
    public func routing(forProxy index: Int) -> RoutingConfig {
        revisions[max(0, min(revisions.count - 1, proxies[index].appliedRevision - 1))]
    }

    /// The newest routing revision (what istiod's configz shows).
    public var currentRouting: RoutingConfig { revisions[revisions.count - 1] }

    // MARK: - Expected values (what a correct client should derive)

    /// Requests per second arriving at a service now, summed over its inbound flows.
    public func expectedRPS(service: Int) -> Double {
        traffic.flows.filter { topology.edges[$0.edge].destination == service }.reduce(0) { $0 + $1.rate }
    }

    /// The latency quantile (ms) of a service's inbound traffic under the simulator's model.
    public func expectedLatency(service: Int, quantile: Double) -> Double? {
        LatencyModel.quantile(quantile, probabilities: traffic.inboundLatencyProbabilities(service: service, topology: topology, effects: trafficEffects()))
    }

    // MARK: - Lookup

    /// A service by `name`, `name.namespace` or `namespace/name`.
    public func service(named text: String) -> Int? {
        let parts = text.contains("/") ? text.split(separator: "/").map(String.init).reversed() : text.split(separator: ".").map(String.init)
        let name = parts.first ?? text
        let namespace = parts.count > 1 ? parts[1] : nil
        return topology.services.first { $0.name == name && (namespace == nil || $0.namespace == namespace) }?.index
    }

    /// A proxy by id (`pod.namespace`), pod name, or the first whose id starts with the text
    /// (`reviews-v2` picks the first reviews-v2 pod).
    public func proxy(matching text: String) -> Int? {
        topology.proxies.first { $0.id == text || $0.podName == text }?.index
            ?? topology.proxies.first { $0.id.hasPrefix(text) }?.index
    }

    public func workload(named text: String) -> Int? {
        let parts = text.split(separator: ".").map(String.init)
        return topology.workloads.first {
            $0.name == parts[0] && (parts.count < 2 || topology.services[$0.service].namespace == parts[1])
        }?.index
    }

    /// The ztunnel on node `name`.
    public func ztunnel(onNode name: String) -> Int? { topology.ztunnels.first { $0.node == name }?.index }

    /// The proxy's counters as its own admin API shows them (after any reset).
    public func counters(flow: Int, asSeenBy proxy: Int) -> FlowCounters {
        let current = traffic.flows[flow].counters
        guard let baseline = proxies[proxy].counterBaseline[flow] else { return current }
        return current - baseline
    }

    func validateTargets(_ event: ScenarioEvent) throws {
        let settings = event.settings
        if let name = settings["service"], service(named: name) == nil {
            throw SimError.invalidScenario("\(event.kind.rawValue): no service '\(name)' in this mesh")
        }
        if let name = settings["proxy"], proxy(matching: name) == nil {
            throw SimError.invalidScenario("\(event.kind.rawValue): no proxy matches '\(name)'")
        }
        if let name = settings["workload"], workload(named: name) == nil {
            throw SimError.invalidScenario("\(event.kind.rawValue): no workload '\(name)'")
        }
        if let name = settings["virtualService"], !revisions[0].virtualServices.contains(where: { $0.name == name || "\($0.namespace)/\($0.name)" == name }) {
            throw SimError.invalidScenario("\(event.kind.rawValue): no VirtualService '\(name)'")
        }
        if let weights = settings["weights"] { _ = try Self.parseWeights(weights) }
        if let node = settings["node"], ztunnel(onNode: node) == nil {
            throw SimError.invalidScenario("\(event.kind.rawValue): no ztunnel on node '\(node)' (run with --dataplane ambient or mixed; nodes: \(topology.nodeNames.joined(separator: ", ")))")
        }
    }

    static func parseWeights(_ text: String) throws -> [(String, Int)] {
        try text.split(separator: ",").map { pair in
            let parts = pair.split(separator: ":")
            guard parts.count == 2, let weight = Int(parts[1]) else {
                throw SimError.invalidScenario("weights '\(text)': expected subset:weight,…")
            }
            return (String(parts[0]), weight)
        }
    }
}
