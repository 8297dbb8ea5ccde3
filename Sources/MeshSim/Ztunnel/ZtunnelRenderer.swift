import Foundation

/// A ztunnel's `/config_dump` (the shape of fixtures/istio/…/ztunnel/configdump/testdata/dump.json,
/// in current ztunnel's arrays) and its `:15020` metrics (mesh-apis.md §10).
enum ZtunnelRenderer {
    /// Every pod of the mesh as a ztunnel knows it from WDS: ambient pods over HBONE, the
    /// others (sidecars, gateways, the ztunnels) as plain TCP.
    static func workloads(_ state: SimulatorState) -> [JSONValue] {
        let topology = state.topology
        var out: [JSONValue] = topology.proxies.map { proxy in
            let service = topology.services[proxy.service]
            let workload = topology.workloads[proxy.workload]
            return obj(
                ("workloadIps", [.string(proxy.podIP)]), ("protocol", topology.isAmbient(proxy: proxy.index) ? "HBONE" : "TCP"),
                ("uid", .string("Kubernetes//Pod/\(proxy.namespace)/\(proxy.podName)")), ("name", .string(proxy.podName)),
                ("namespace", .string(proxy.namespace)), ("trustDomain", "cluster.local"), ("serviceAccount", .string(service.serviceAccount)),
                ("workloadName", .string(workload.name)), ("workloadType", "deployment"), ("canonicalName", .string(service.name)),
                ("canonicalRevision", .string(service.isGateway ? "latest" : workload.version)), ("network", ""),
                ("node", .string(topology.nodeNames[topology.node(ofProxy: proxy.index)])),
                ("status", state.proxies[proxy.index].present ? "Healthy" : "Unhealthy"), ("clusterId", "Kubernetes"))
        }
        for ztunnel in topology.ztunnels {
            out.append(obj(
                ("workloadIps", [.string(ztunnel.podIP)]), ("protocol", "TCP"), ("uid", .string("Kubernetes//Pod/istio-system/\(ztunnel.podName)")),
                ("name", .string(ztunnel.podName)), ("namespace", "istio-system"), ("trustDomain", "cluster.local"),
                ("serviceAccount", "ztunnel"), ("workloadName", "ztunnel"), ("workloadType", "daemonset"), ("canonicalName", "ztunnel"),
                ("canonicalRevision", "latest"), ("network", ""), ("node", .string(ztunnel.node)), ("status", "Healthy"), ("clusterId", "Kubernetes")))
        }
        return out
    }

    static func services(_ state: SimulatorState) -> [JSONValue] {
        let topology = state.topology
        return topology.services.map { service in
            var endpoints: [(String, JSONValue)] = []
            for proxy in topology.proxies where proxy.service == service.index {
                let uid = "Kubernetes//Pod/\(proxy.namespace)/\(proxy.podName)"
                endpoints.append(("\(uid):/\(proxy.podIP)", obj(("workloadUid", .string(uid)), ("service", .string("\(service.namespace)/\(service.hostname)")),
                                                            ("address", .string("/\(proxy.podIP)")), ("port", .object([(String(service.port), .int(service.port))])))))
            }
            return obj(("name", .string(service.name)), ("namespace", .string(service.namespace)), ("hostname", .string(service.hostname)),
                       ("vips", [.string("/\(service.vip)")]), ("ports", .object([(String(service.port), .int(service.port))])),
                       ("endpoints", .object(endpoints)), ("subjectAltNames", []))
        }
    }

    /// One entry per identity of the node's present ambient pods: the newest leaf any of them
    /// holds, the intermediate and the root, serials in decimal as ztunnel writes them.
    static func certificates(_ state: SimulatorState, ztunnel: SimZtunnel) -> [JSONValue] {
        var newest: [String: IssuedCertificate] = [:]
        var identities: [String] = []
        for pod in state.topology.ambientPods(onNode: ztunnel.index) where state.proxies[pod.index].present {
            let service = state.topology.services[pod.service]
            let identity = "spiffe://cluster.local/ns/\(service.namespace)/sa/\(service.serviceAccount)"
            if !identities.contains(identity) { identities.append(identity) }
            if let leaf = state.proxies[pod.index].leaf, leaf.notBefore > newest[identity]?.notBefore ?? .distantPast { newest[identity] = leaf }
        }
        return identities.map { identity in
            guard let leaf = newest[identity] else { return obj(("identity", .string(identity)), ("state", "Initializing"), ("certChain", [])) }
            return obj(("identity", .string(identity)), ("state", "Available"),
                       ("certChain", .array([leaf, state.ca.intermediate, state.ca.root].map(chainElement))))
        }
    }

    static func chainElement(_ certificate: IssuedCertificate) -> JSONValue {
        obj(("pem", .string(certificate.pem)), ("serialNumber", .string(certificate.serialDecimal)),
            ("validFrom", .string(Timestamp.rfc3339(certificate.notBefore))), ("expirationTime", .string(Timestamp.rfc3339(certificate.notAfter))))
    }

    static func configDump(_ state: SimulatorState, ztunnel: SimZtunnel) -> JSONValue {
        var workloadState: [(String, JSONValue)] = []
        for pod in state.topology.ambientPods(onNode: ztunnel.index) where state.proxies[pod.index].present {
            let service = state.topology.services[pod.service]
            workloadState.append(("Kubernetes//Pod/\(pod.namespace)/\(pod.podName)", obj(
                ("info", obj(("name", .string(pod.podName)), ("namespace", .string(pod.namespace)), ("serviceAccount", .string(service.serviceAccount)))),
                ("state", "Up"), ("connections", obj(("inbound", []), ("outbound", []))))))
        }
        return obj(("workloads", .array(workloads(state))), ("services", .array(services(state))), ("policies", []),
                   ("certificates", .array(certificates(state, ztunnel: ztunnel))), ("workloadState", .object(workloadState)))
    }

    /// Bytes a request and its response carry, and requests per connection, for the L4 counters.
    static let requestBytes = 740, responseBytes = 3_120, requestsPerConnection = 25

    /// `istio_tcp_*` for the node's ambient pods: their outbound connections as the source's
    /// reporter, their inbound ones as the destination's; `istio_build`.
    static func metrics(_ state: SimulatorState, ztunnel: SimZtunnel) -> String {
        var rows: [(reporter: String, source: PeerLabels, destination: PeerLabels, counters: FlowCounters)] = []
        let topology = state.topology
        for pod in topology.ambientPods(onNode: ztunnel.index) where state.proxies[pod.index].present {
            let traffic = ProxyTraffic(state: state, proxy: pod.index)
            rows += traffic.outboundByPeer.map { ("source", $0.local, $0.peer, $0.counters) }
            rows += traffic.inboundByPeer.map { ("destination", $0.peer, $0.local, $0.counters) }
        }
        var out = PrometheusWriter()
        func labels(_ row: (reporter: String, source: PeerLabels, destination: PeerLabels, counters: FlowCounters)) -> String {
            let (source, destination) = (row.source, row.destination)
            let policy = row.reporter == "destination" ? "mutual_tls" : "unknown"
            return "reporter=\"\(row.reporter)\",source_workload=\"\(source.workload)\",source_canonical_service=\"\(source.canonicalService)\",source_canonical_revision=\"\(source.canonicalRevision)\",source_workload_namespace=\"\(source.namespace)\",source_principal=\"\(source.principal)\",source_app=\"\(source.app)\",source_version=\"\(source.version)\",source_cluster=\"Kubernetes\",destination_service=\"\(destination.service)\",destination_service_namespace=\"\(destination.serviceNamespace)\",destination_service_name=\"\(destination.serviceName)\",destination_workload=\"\(destination.workload)\",destination_canonical_service=\"\(destination.canonicalService)\",destination_canonical_revision=\"\(destination.canonicalRevision)\",destination_workload_namespace=\"\(destination.namespace)\",destination_principal=\"\(destination.principal)\",destination_app=\"\(destination.app)\",destination_version=\"\(destination.version)\",destination_cluster=\"Kubernetes\",request_protocol=\"tcp\",response_flags=\"-\",connection_security_policy=\"\(policy)\""
        }
        let families: [(String, (FlowCounters, String) -> Int)] = [
            // Seen from the reporter: the client sends requests and receives responses, the server the other way round.
            ("istio_tcp_sent_bytes_total", { $1 == "source" ? $0.total * requestBytes : $0.total * responseBytes }),
            ("istio_tcp_received_bytes_total", { $1 == "source" ? $0.total * responseBytes : $0.total * requestBytes }),
            ("istio_tcp_connections_opened_total", { counters, _ in counters.total == 0 ? 0 : counters.total / requestsPerConnection + 1 }),
            ("istio_tcp_connections_closed_total", { counters, _ in counters.total / requestsPerConnection }),
        ]
        for (name, value) in families {
            out.type(name, "counter")
            for row in rows where row.counters.total > 0 { out.sample(name, labels(row), value(row.counters, row.reporter)) }
        }
        out.type("istio_build", "gauge")
        out.sample("istio_build", "component=\"ztunnel\",tag=\"\(state.options.istioVersion)\"", 1)
        return out.text
    }
}
