import Foundation
import MeshModel

/// Renders istiod's debug endpoints (mesh-apis.md §1.2) from the simulator state.
enum IstiodRenderer {
    static let clusterID = "Kubernetes"

    /// `/debug/syncz`: one element per connected proxy, Istio 1.24 shape (legacy nonce fields
    /// plus the `resources` map keyed by type URL).
    static func syncz(_ state: SimulatorState, namespace: String?) -> JSONValue {
        var rows: [JSONValue] = []
        // Only Envoy sidecars and gateways talk xDS to istiod; Linkerd and MOSN pods do not.
        for proxy in state.topology.proxies where state.proxies[proxy.index].present && state.topology.mesh(ofProxy: proxy.index) == .istio
            && !state.topology.isAmbient(proxy: proxy.index) {
            if let namespace, proxy.namespace != namespace { continue }
            let runtime = state.proxies[proxy.index]
            var pairs: [(String, JSONValue?)] = [
                ("cluster_id", .string(clusterID)), ("proxy", .string(proxy.id)),
                ("proxy_type", .string(proxy.type)), ("istio_version", .string(state.options.istioVersion)),
            ]
            var resources: [(String, JSONValue)] = []
            for type in XDSType.allCases {
                let xds = runtime.xds[type.rawValue] ?? XDSTypeState()
                pairs.append(("\(type.synczPrefix)_sent", xds.sent.isEmpty ? nil : .string(xds.sent)))
                pairs.append(("\(type.synczPrefix)_acked", xds.acked.isEmpty ? nil : .string(xds.acked)))
                guard !xds.sent.isEmpty else { continue }
                resources.append((type.typeURL, obj(
                    ("sent", .string(xds.sent)), ("acked", xds.acked.isEmpty ? nil : .string(xds.acked)),
                    ("sentTime", xds.sentTime.map { .string(Timestamp.rfc3339($0)) }),
                    ("lastError", xds.lastError.map(JSONValue.string)))))
            }
            pairs.append(("resources", .object(resources)))
            rows.append(.object(pairs.compactMap { key, value in value.map { (key, $0) } }))
        }
        if namespace == nil || namespace == "istio-system" {
            rows += state.topology.ztunnels.filter { !state.ztunnelsDown.contains($0.index) }.map { ztunnelSyncz(state, $0) }
        }
        return .array(rows)
    }

    /// `/debug/registryz`: every service, Go-struct JSON with its mixed key casing.
    static func registryz(_ state: SimulatorState) -> JSONValue {
        .array(state.topology.services.map { service in
            let labels: JSONValue = service.isGateway
                ? obj(("app", "istio-ingressgateway"), ("istio", "ingressgateway"))
                : obj(("app", .string(service.name)), ("service", .string(service.name)))
            let selector: JSONValue = service.isGateway
                ? obj(("app", "istio-ingressgateway"), ("istio", "ingressgateway")) : obj(("app", .string(service.name)))
            return obj(
                ("Attributes", obj(
                    ("ServiceRegistry", "Kubernetes"), ("Name", .string(service.name)),
                    ("Namespace", .string(service.namespace)), ("Labels", labels), ("ExportTo", .null),
                    ("LabelSelectors", selector), ("ClusterExternalAddresses", obj(("Addresses", .null))),
                    ("ClusterExternalPorts", .null))),
                ("ports", .array([obj(("name", service.isGateway ? "http2" : "http"), ("port", .int(service.port)),
                                      ("protocol", service.isGateway ? "HTTP2" : "HTTP"))])),
                ("serviceAccounts", .array([.string("spiffe://cluster.local/ns/\(service.namespace)/sa/\(service.serviceAccount)")])),
                ("creationTime", .string(Timestamp.rfc3339(state.startedAt.addingTimeInterval(-86400 * 3)))),
                ("hostname", .string(service.hostname)),
                ("clusterVIPs", obj(("Addresses", obj((clusterID, .array([.string(service.vip)])))))),
                ("defaultAddress", .string(service.vip)),
                ("Resolution", 0), ("MeshExternal", false),
                ("ResourceVersion", .string(String(40000 + service.index * 7))))
        })
    }

    /// `/debug/endpointz`: `{host: {namespace: {Shards: {"Kubernetes/Kubernetes": [IstioEndpoint]}}}}`.
    static func endpointz(_ state: SimulatorState) -> JSONValue {
        .object(state.topology.services.map { service in
            var endpoints: [JSONValue] = []
            for workloadIndex in service.workloads {
                let workload = state.topology.workloads[workloadIndex]
                for proxyIndex in workload.proxies where state.proxies[proxyIndex].present {
                    let proxy = state.topology.proxies[proxyIndex]
                    endpoints.append(obj(
                        ("Labels", obj(("app", .string(service.name)), ("version", service.isGateway ? nil : .string(workload.version)),
                                       ("security.istio.io/tlsMode", "istio"),
                                       ("service.istio.io/canonical-name", .string(service.name)),
                                       ("service.istio.io/canonical-revision", .string(workload.version)))),
                        ("Addresses", .array([.string(proxy.podIP)])), ("ServicePortName", "http"),
                        ("ServiceAccount", .string("spiffe://cluster.local/ns/\(service.namespace)/sa/\(service.serviceAccount)")),
                        ("Network", ""), ("Locality", obj(("Label", "region1/zone1"), ("ClusterID", .string(clusterID)))),
                        ("EndpointPort", .int(service.port)), ("LbWeight", 0), ("TLSMode", "istio"),
                        ("Namespace", .string(service.namespace)), ("WorkloadName", .string(workload.name)),
                        ("HostName", ""), ("SubDomain", ""),
                        ("HealthStatus", .int(state.proxies[proxyIndex].healthCheckFailed ? 2 : 1)),
                        ("NodeName", .string("node-\(proxyIndex % 5 + 1)"))))
                }
            }
            let shards = obj(("Shards", obj(("Kubernetes/\(clusterID)", .array(endpoints)))),
                             ("ServiceAccounts", obj(("spiffe://cluster.local/ns/\(service.namespace)/sa/\(service.serviceAccount)", obj()))))
            return (service.hostname, obj((service.namespace, shards)))
        })
    }

    /// `/version`: `<version>-<revision>-Clean`, plain text.
    static func version(_ state: SimulatorState) -> String {
        "\(state.options.istioVersion)-\(state.istiodRevision)-Clean"
    }
}
