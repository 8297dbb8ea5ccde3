import Foundation
import MeshModel

extension SimulatorState {
    /// Starts and ends scenario events whose window opens or closes at `now`.
    mutating func applyScenarioTransitions(now: Date) {
        let offset = now.timeIntervalSince(startedAt)
        for (index, event) in options.scenarios.enumerated() {
            let active = event.isActive(atOffset: offset)
            guard active != scenarioActive[index] else { continue }
            scenarioActive[index] = active
            journal.append("scenario \(event.kind.rawValue) \(active ? "started" : "ended") \(event.settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
            active ? start(event, now: now) : end(event, now: now)
        }
    }

    private mutating func start(_ event: ScenarioEvent, now: Date) {
        let settings = event.settings
        switch event.kind {
        case .errorSpike, .latencyRegression:
            break // applied through trafficEffects() while active
        case .proxyStale:
            guard let proxy = settings["proxy"].flatMap(proxy(matching:)) else { return }
            proxies[proxy].refusesPushes = true
            // istiod keeps pushing (endpoint churn); the proxy no longer acknowledges.
            push(types: [.cds, .eds], now: now)
        case .certExpiring:
            guard let workload = settings["workload"].flatMap(workload(named:)) else { return }
            let left = (try? Duration.seconds(parsing: settings["left"] ?? "2h")) ?? 7200
            pinCertificates(workload: workload, left: left, now: now)
        case .certExpired:
            guard let workload = settings["workload"].flatMap(workload(named:)) else { return }
            let ago = (try? Duration.seconds(parsing: settings["ago"] ?? "1h")) ?? 3600
            pinCertificates(workload: workload, left: -ago, now: now)
        case .weightChange:
            applyWeights(settings, now: now)
        case .ztunnelCertExpiring:
            guard let node = settings["node"].flatMap(ztunnel(onNode:)) else { return }
            let left = (try? Duration.seconds(parsing: settings["left"] ?? "2h")) ?? 7200
            let lifetime = options.certificates.leafLifetime
            for pod in topology.ambientPods(onNode: node) {
                proxies[pod.index].rotationStalled = true
                try? issueLeaf(for: pod.index, now: now, age: lifetime - left, lifetime: lifetime)
            }
        case .ztunnelDown:
            guard let node = settings["node"].flatMap(ztunnel(onNode:)) else { return }
            ztunnelsDown.insert(node)
        case .proxyDown:
            guard let proxy = settings["proxy"].flatMap(proxy(matching:)) else { return }
            proxies[proxy].present = false
            for type in XDSType.allCases { proxies[proxy].xds[type.rawValue] = nil }
            updateRates()
        }
    }

    private mutating func end(_ event: ScenarioEvent, now: Date) {
        let settings = event.settings
        switch event.kind {
        case .errorSpike, .latencyRegression, .weightChange:
            break // weight changes are config: they stay until the next change
        case .proxyStale:
            guard let proxy = settings["proxy"].flatMap(proxy(matching:)) else { return }
            proxies[proxy].refusesPushes = false
            for (type, state) in proxies[proxy].xds where !state.sent.isEmpty {
                proxies[proxy].xds[type]?.acked = state.sent
            }
            proxies[proxy].appliedRevision = revisions.count
            updateRates()
        case .certExpiring, .certExpired:
            guard let workload = settings["workload"].flatMap(workload(named:)) else { return }
            for proxy in topology.workloads[workload].proxies {
                proxies[proxy].rotationStalled = false
            }
            rotateCertificates(now: now)
        case .proxyDown:
            guard let proxy = settings["proxy"].flatMap(proxy(matching:)) else { return }
            restart(proxy: proxy, now: now)
        case .ztunnelCertExpiring:
            guard let node = settings["node"].flatMap(ztunnel(onNode:)) else { return }
            for pod in topology.ambientPods(onNode: node) { proxies[pod.index].rotationStalled = false }
            rotateCertificates(now: now)
        case .ztunnelDown:
            guard let node = settings["node"].flatMap(ztunnel(onNode:)) else { return }
            ztunnelsDown.remove(node)
        }
    }

    /// A pod that comes back is a new Envoy: counters from zero, a fresh connection to istiod
    /// with a full push, and a new uptime.
    mutating func restart(proxy index: Int, now: Date) {
        proxies[index].present = true
        proxies[index].startedAt = now
        proxies[index].healthCheckFailed = false
        proxies[index].counterBaseline = baselineNow(for: index)
        push(types: XDSType.allCases, now: now, only: index)
        updateRates()
    }

    /// Current counters of every flow that a proxy reports on, to subtract after a reset.
    func baselineNow(for index: Int) -> [Int: FlowCounters] {
        var baseline: [Int: FlowCounters] = [:]
        for flow in traffic.outbound[index] + traffic.inbound[index] { baseline[flow] = traffic.flows[flow].counters }
        return baseline
    }

    /// A new routing revision with the VirtualService's default route reweighted, pushed to every
    /// proxy (configz, config dumps and the traffic split change together).
    private mutating func applyWeights(_ settings: [String: String], now: Date) {
        guard let name = settings["virtualService"], let weights = try? Self.parseWeights(settings["weights"] ?? "") else { return }
        var config = currentRouting
        guard let vsIndex = config.virtualServices.firstIndex(where: { $0.name == name || "\($0.namespace)/\($0.name)" == name }),
              !config.virtualServices[vsIndex].routes.isEmpty else { return }
        let last = config.virtualServices[vsIndex].routes.count - 1
        config.virtualServices[vsIndex].routes[last].destinations = weights.map { SimRouteDestination(subset: $0.0, weight: $0.1) }
        config.virtualServices[vsIndex].resourceVersion += 1000
        config.revision = revisions.count + 1
        revisions.append(config)
        push(types: [.cds, .rds, .eds], now: now)
        updateRates()
    }
}
