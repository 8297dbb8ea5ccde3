import Foundation

/// `meshtop sim --dataplane`: Istio sidecars, the ambient data plane, or both in one mesh.
public enum SimDataplane: String, Sendable, CaseIterable {
    case sidecar, ambient, mixed
}

/// A ztunnel: the ambient data plane's agent on one node (`istio-system`, `app=ztunnel`). It
/// holds a certificate per identity of its node's ambient pods and reports their L4 traffic.
public struct SimZtunnel: Sendable {
    public var index: Int
    public var node: String
    public var podName: String
    public var podIP: String
    /// The loopback address its admin and metrics listen on in the direct simulation.
    public var host: String

    public var id: String { "\(podName).istio-system" }
}

extension SimTopology {
    /// Puts services into the ambient data plane and creates the nodes' ztunnels. `ambient`
    /// takes every service but the ingress gateway (an Envoy in both modes); `mixed` takes the
    /// application namespaces alternately when there are two or more, else every other service
    /// (its pods labelled `istio.io/dataplane-mode=ambient` one by one). Ztunnel addresses
    /// follow the proxies'.
    public mutating func assignDataplane(_ mode: SimDataplane, nodes: Int, adminBase: UInt32) {
        nodeNames = (1...max(1, nodes)).map { "sim-worker-\($0)" }
        guard mode != .sidecar else { return }
        let namespaces = self.namespaces.filter { $0 != "istio-system" }
        var next = 0
        for index in services.indices where !services[index].isGateway && services[index].mesh == .istio {
            switch mode {
            case .sidecar: break
            case .ambient: services[index].ambient = true
            case .mixed:
                if namespaces.count >= 2, let position = namespaces.firstIndex(of: services[index].namespace) {
                    services[index].ambient = position % 2 == 0
                } else {
                    services[index].ambient = next % 2 == 0
                    next += 1
                }
            }
        }
        ztunnels = nodeNames.enumerated().map { index, node in
            let suffix = String(String(UInt32(truncatingIfNeeded: (index + 7) &* 2_654_435_761), radix: 36).suffix(5))
            // Outside the pods' 10.244.0.0/16 (the simulated pods are not laid out per node).
            return SimZtunnel(index: index, node: node, podName: "ztunnel-\(suffix)", podIP: "10.243.\(index / 250).\(index % 250 + 2)",
                              host: IPv4.format(TopologyBuilder.address(base: adminBase, index: proxies.count + index)))
        }
    }

    /// The node a pod runs on: pods are dealt out over the nodes in turn.
    public func node(ofProxy index: Int) -> Int { index % nodeNames.count }

    /// Whether a pod is in the ambient data plane (and so has no proxy of its own).
    public func isAmbient(proxy index: Int) -> Bool { services[proxies[index].service].ambient }

    /// The pods on node `node` that are ambient.
    public func ambientPods(onNode nodeIndex: Int) -> [SimProxy] {
        proxies.filter { node(ofProxy: $0.index) == nodeIndex && isAmbient(proxy: $0.index) }
    }

    /// Whether the mesh has an ambient part.
    public var hasAmbient: Bool { !ztunnels.isEmpty }
}
