import Foundation

/// What scenarios currently do to one destination service's traffic.
public struct TrafficEffect: Sendable, Equatable {
    /// Replaces the 5xx share of every inbound edge.
    public var serverErrorRate: Double?
    /// Multiplies the latency median of every inbound edge.
    public var latencyFactor: Double = 1
}

/// The flows of the mesh and how they advance with time.
public struct TrafficModel: Sendable {
    public private(set) var flows: [Flow] = []
    /// Flow indices by source proxy and by destination proxy.
    public private(set) var outbound: [[Int]]
    public private(set) var inbound: [[Int]]

    /// Builds every (source pod → destination pod) flow of every edge. Counters start at zero.
    public init(topology: SimTopology) {
        outbound = Array(repeating: [], count: topology.proxies.count)
        inbound = Array(repeating: [], count: topology.proxies.count)
        for edge in topology.edges {
            let source = topology.services[edge.source]
            let destination = topology.services[edge.destination]
            let usesSubsets = topology.routing.virtualService(for: destination.index)?.subsetWeights != nil
            for sourceWorkload in source.workloads {
                if let versions = edge.sourceVersions, !versions.contains(topology.workloads[sourceWorkload].version) { continue }
                for sourceProxy in topology.workloads[sourceWorkload].proxies {
                    for destinationWorkload in destination.workloads {
                        let workload = topology.workloads[destinationWorkload]
                        let cluster = usesSubsets ? destination.subsetCluster(workload.version) : destination.defaultCluster
                        for destinationProxy in workload.proxies {
                            let index = flows.count
                            flows.append(Flow(edge: edge.index, sourceProxy: sourceProxy,
                                              destinationProxy: destinationProxy, cluster: cluster))
                            outbound[sourceProxy].append(index)
                            inbound[destinationProxy].append(index)
                        }
                    }
                }
            }
        }
    }

    /// Recomputes each flow's rate from the edge rate, the routing each source proxy has applied,
    /// and which pods are serving (present and not failing health checks).
    public mutating func updateRates(topology: SimTopology, serving: [Bool], routingOf: (Int) -> RoutingConfig) {
        for index in flows.indices {
            let flow = flows[index]
            let edge = topology.edges[flow.edge]
            guard serving[flow.sourceProxy] else { flows[index].rate = 0; continue }
            let sourceService = topology.services[edge.source]
            let sourcePods = sourceService.workloads.map { topology.workloads[$0] }
                .filter { edge.sourceVersions?.contains($0.version) ?? true }
                .flatMap(\.proxies)
            let servingSources = sourcePods.filter { serving[$0] }.count
            let destinationService = topology.services[edge.destination]
            let destinationWorkload = topology.workloads[topology.proxies[flow.destinationProxy].workload]
            let versionShare = Self.versionShare(
                of: destinationWorkload, in: destinationService, topology: topology, serving: serving,
                routing: routingOf(flow.sourceProxy))
            let pods = destinationWorkload.proxies.filter { serving[$0] }
            // A pod that is gone or draining gets nothing; its share goes to the serving ones.
            guard pods.contains(flow.destinationProxy), servingSources > 0 else { flows[index].rate = 0; continue }
            flows[index].rate = edge.rps / Double(servingSources) * versionShare / Double(pods.count)
        }
    }

    /// The share of a service's traffic that goes to one of its versions: the VirtualService
    /// weight when there is one (renormalised over versions that still have pods), otherwise
    /// proportional to serving pods, as Envoy's load balancing over all endpoints does.
    static func versionShare(of workload: SimWorkload, in service: SimService, topology: SimTopology,
                             serving: [Bool], routing: RoutingConfig) -> Double {
        let versions = service.workloads.map { topology.workloads[$0] }
        let servingPods = { (w: SimWorkload) in w.proxies.filter { serving[$0] }.count }
        if let weights = routing.virtualService(for: service.index)?.subsetWeights {
            // Versions without a serving pod drop out of EDS; their weight is spread over the rest.
            let total = versions.filter { servingPods($0) > 0 }.reduce(0) { $0 + (weights[$1.version] ?? 0) }
            guard total > 0 else { return 0 }
            return Double(weights[workload.version] ?? 0) / Double(total)
        }
        let total = versions.reduce(0) { $0 + servingPods($1) }
        guard total > 0 else { return 0 }
        return Double(servingPods(workload)) / Double(total)
    }

    /// Advances every flow by `seconds` of traffic: a Poisson number of requests, split over
    /// response codes and latency buckets by the edge's (scenario-adjusted) model.
    public mutating func advance(seconds: Double, topology: SimTopology, effects: [Int: TrafficEffect],
                                 random: inout SimRandom) {
        let models = topology.edges.map { edge -> EdgeModel in
            EdgeModel(edge: edge, effect: effects[edge.destination] ?? TrafficEffect())
        }
        for index in flows.indices where flows[index].rate > 0 {
            let model = models[flows[index].edge]
            // Counts follow the rate exactly (the fraction carries over), with a slow ±3 % wave per
            // edge so that history charts move the way real traffic does.
            let exact = flows[index].rate * seconds * model.wave(elapsed) + flows[index].carry
            let requests = Int(exact.rounded(.down))
            flows[index].carry = exact - Double(requests)
            guard requests > 0 else { continue }
            let perCode = random.multinomial(total: requests, probabilities: model.codeProbabilities)
            for (code, count) in perCode.enumerated() where count > 0 {
                var counters = flows[index].counters.byCode[code]
                counters.count += count
                if count < 24 {
                    for _ in 0..<count {
                        let bucket = model.sampleBucket(code: code, random: &random)
                        counters.buckets[bucket] += 1
                        let (lower, upper) = LatencyModel.bounds(bucket: bucket)
                        counters.sumMs += lower + (upper - lower) * random.unit()
                    }
                } else {
                    let split = random.multinomial(total: count, probabilities: model.bucketProbabilities[code])
                    for (bucket, hits) in split.enumerated() where hits > 0 {
                        counters.buckets[bucket] += hits
                        counters.sumMs += Double(hits) * LatencyModel.representative(bucket: bucket)
                    }
                }
                flows[index].counters.byCode[code] = counters
            }
        }
        elapsed += seconds
    }

    /// Simulated seconds so far (drives the traffic wave).
    var elapsed: Double = 0

    /// The latency distribution (bucket probabilities weighted by rate) of a service's inbound
    /// traffic right now, for checking what a client derives.
    public func inboundLatencyProbabilities(service: Int, topology: SimTopology, effects: [Int: TrafficEffect]) -> [Double] {
        var mixture = [Double](repeating: 0, count: envoyBucketBoundsMs.count + 1)
        for flow in flows where flow.rate > 0 && topology.edges[flow.edge].destination == service {
            let model = EdgeModel(edge: topology.edges[flow.edge], effect: effects[service] ?? TrafficEffect())
            for (code, share) in model.codeProbabilities.enumerated() {
                for (bucket, probability) in model.bucketProbabilities[code].enumerated() {
                    mixture[bucket] += flow.rate * share * probability
                }
            }
        }
        return mixture
    }
}

/// Per-edge probabilities, computed once per advance.
struct EdgeModel {
    var codeProbabilities: [Double]
    var bucketProbabilities: [[Double]]
    var cumulative: [[Double]]
    var meanMs: [Double]

    init(edge: SimEdge, effect: TrafficEffect) {
        let serverErrors = min(1, max(0, effect.serverErrorRate ?? edge.serverErrorRate))
        let clientErrors = min(1 - serverErrors, edge.clientErrorRate)
        codeProbabilities = [1 - serverErrors - clientErrors, clientErrors, serverErrors * 0.3, serverErrors * 0.7]
        let median = edge.latencyMedianMs * effect.latencyFactor
        // Errors come back faster than successes: a 503 from an overloaded pod or a 404 is cheap.
        let medians = [median, median * 0.5, median * 0.8, median * 0.2]
        bucketProbabilities = medians.map { LatencyModel.bucketProbabilities(medianMs: $0, sigma: edge.latencySigma) }
        cumulative = bucketProbabilities.map { probabilities in
            var running = 0.0
            return probabilities.map { running += $0; return running }
        }
        meanMs = medians.map { LatencyModel.meanMs(medianMs: $0, sigma: edge.latencySigma) }
        phase = Double(edge.index % 17) * 0.37
    }

    let phase: Double

    /// Multiplier on the edge rate at a given simulated time.
    func wave(_ elapsed: Double) -> Double { 1 + 0.03 * sin(2 * .pi * elapsed / 300 + phase) }

    func sampleBucket(code: Int, random: inout SimRandom) -> Int {
        let draw = random.unit()
        let cumulative = cumulative[code]
        return cumulative.firstIndex { draw < $0 } ?? cumulative.count - 1
    }
}
