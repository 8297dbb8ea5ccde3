import Foundation

/// istiod's view of the ambient data plane: ztunnels in syncz (WDS and WADS, mesh-apis.md §10)
/// and `/debug/ambientz`.
extension IstiodRenderer {
    static let workloadTypeURL = "type.googleapis.com/istio.workload.Address"
    static let authorizationTypeURL = "type.googleapis.com/istio.security.Authorization"

    /// A ztunnel's syncz row: both types pushed at the last push and acknowledged.
    static func ztunnelSyncz(_ state: SimulatorState, _ ztunnel: SimZtunnel) -> JSONValue {
        let nonce = String(format: "%08x-%04x", UInt32(truncatingIfNeeded: state.pushCount &* 2_654_435_761), ztunnel.index)
        let sentTime = JSONValue.string(Timestamp.rfc3339(state.lastPushAt))
        return obj(("cluster_id", .string(clusterID)), ("proxy", .string(ztunnel.id)), ("proxy_type", "ztunnel"),
                   ("istio_version", .string(state.options.istioVersion)),
                   ("resources", .object([workloadTypeURL, authorizationTypeURL].map { type in
                       (type, obj(("sent", .string(nonce)), ("acked", .string(nonce)), ("sentTime", sentTime)))
                   })))
    }

    /// `/debug/ambientz`: the workloads, services and policies istiod serves ztunnels.
    static func ambientz(_ state: SimulatorState) -> JSONValue {
        obj(("workloads", .array(ZtunnelRenderer.workloads(state))), ("services", .array(ZtunnelRenderer.services(state))), ("policies", []))
    }
}
