import Foundation
import MeshSim
import MeshSources

/// Every transport meshtop has, for the tests that must hold for each of them (the read-only
/// rule first): how to make one, and how it addresses a simulated proxy. A new transport adds a
/// case here, and those tests run against it.
public enum TransportUnderTest: String, CaseIterable, Sendable {
    /// Direct HTTP to the admin address.
    case direct
    /// Through the simulated Kubernetes API: a port-forward to the pod's :15000.
    case kubePortForward

    /// What the simulator needs for this transport (a Kubernetes API in front of the mesh).
    public func configure(_ options: inout SimOptions) {
        if self == .kubePortForward { options.kube = KubeSimOptions() }
    }

    /// A transport reaching `sim` this way (through its kubeconfig's `sim` context).
    public func make(_ sim: InProcessSim, timeout: Double = 5) async throws -> any MeshTransport {
        switch self {
        case .direct: return try DirectHTTPTransport(timeout: timeout)
        case .kubePortForward:
            guard let kubernetes = sim.server.kubernetes else { throw SimProcess.Failed(description: "the simulator was started without --kube") }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-kubeconfig-\(UUID().uuidString.prefix(8))").path
            try kubernetes.writeKubeconfig(to: file)
            defer {
                try? FileManager.default.removeItem(atPath: file)
                try? FileManager.default.removeItem(atPath: KubeconfigWriter.pluginPath(forKubeconfig: file))
            }
            let (access, _) = try await KubeAPIAccess.load(kubeconfig: file, context: KubeSimContext.sim.rawValue)
            return KubernetesTransport(api: access, timeout: timeout)
        }
    }

    /// How this transport reaches a target of an in-process simulator.
    public func endpoint(of target: ScrapeTarget) -> MeshEndpoint {
        switch self {
        case .direct: return .url(target.url)
        case .kubePortForward:
            let id = target.proxyID
            let dot = id.lastIndex(of: ".") ?? id.endIndex
            return .portForward(namespace: dot < id.endIndex ? String(id[id.index(after: dot)...]) : "default", pod: String(id[..<dot]), port: 15000)
        }
    }
}
