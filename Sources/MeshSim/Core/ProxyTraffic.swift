import Foundation

/// Identity labels of one side of a request, as Istio's stats filter fills them.
struct PeerLabels: Hashable {
    var workload: String
    var namespace: String
    var principal: String
    var app: String
    var version: String
    var canonicalService: String
    var canonicalRevision: String
    /// Destination only: the service FQDN, short name and namespace.
    var service: String = ""
    var serviceName: String = ""
    var serviceNamespace: String = ""
    /// The service's port and account, and the mesh its pods are in (Linkerd and MOSN labels).
    var port: Int
    var serviceAccount: String
    var mesh: SimMesh

    init(workload: SimWorkload, topology: SimTopology) {
        let service = topology.services[workload.service]
        port = service.port
        serviceAccount = service.serviceAccount
        mesh = service.mesh
        self.workload = workload.name
        namespace = service.namespace
        principal = "spiffe://cluster.local/ns/\(service.namespace)/sa/\(service.serviceAccount)"
        app = service.name
        version = service.isGateway ? "unknown" : workload.version
        canonicalService = service.name
        canonicalRevision = service.isGateway ? "latest" : workload.version
        self.service = service.hostname
        serviceName = service.name
        serviceNamespace = service.namespace
    }
}

/// One proxy's traffic, summed from the flows it takes part in, grouped the ways its stats
/// report it. Built under the simulator lock; rendering happens outside it.
struct ProxyTraffic {
    /// reporter="source": (this workload → destination workload) counters.
    var outboundByPeer: [(local: PeerLabels, peer: PeerLabels, counters: FlowCounters)] = []
    /// reporter="destination": (source workload → this workload) counters.
    var inboundByPeer: [(local: PeerLabels, peer: PeerLabels, counters: FlowCounters)] = []
    /// Envoy outbound cluster → counters.
    var byCluster: [String: FlowCounters] = [:]
    /// Outbound cluster → destination pod index → counters (`/clusters` host stats).
    var byClusterHost: [String: [Int: FlowCounters]] = [:]
    /// Everything that arrived at this proxy (inbound cluster and HTTP connection manager stats).
    var inboundTotal = FlowCounters()

    init(state: SimulatorState, proxy index: Int) {
        let topology = state.topology
        let local = PeerLabels(workload: topology.workloads[topology.proxies[index].workload], topology: topology)
        var outbound: [Int: FlowCounters] = [:]
        for flow in state.traffic.outbound[index] {
            let counters = state.counters(flow: flow, asSeenBy: index)
            let details = state.traffic.flows[flow]
            let destinationWorkload = topology.proxies[details.destinationProxy].workload
            outbound[destinationWorkload, default: FlowCounters()] = outbound[destinationWorkload, default: FlowCounters()] + counters
            byCluster[details.cluster, default: FlowCounters()] = byCluster[details.cluster, default: FlowCounters()] + counters
            byClusterHost[details.cluster, default: [:]][details.destinationProxy, default: FlowCounters()] =
                byClusterHost[details.cluster, default: [:]][details.destinationProxy, default: FlowCounters()] + counters
        }
        outboundByPeer = outbound.keys.sorted().map { (local, PeerLabels(workload: topology.workloads[$0], topology: topology), outbound[$0]!) }
        var inbound: [Int: FlowCounters] = [:]
        for flow in state.traffic.inbound[index] {
            let counters = state.counters(flow: flow, asSeenBy: index)
            let sourceWorkload = topology.proxies[state.traffic.flows[flow].sourceProxy].workload
            inbound[sourceWorkload, default: FlowCounters()] = inbound[sourceWorkload, default: FlowCounters()] + counters
            inboundTotal = inboundTotal + counters
        }
        let service = topology.services[topology.proxies[index].service]
        if !service.isGateway, let inboundCluster = service.mesh.inboundCluster(port: service.port) {
            byCluster[inboundCluster] = inboundTotal
        }
        inboundByPeer = inbound.keys.sorted().map { (local, PeerLabels(workload: topology.workloads[$0], topology: topology), inbound[$0]!) }
    }
}
