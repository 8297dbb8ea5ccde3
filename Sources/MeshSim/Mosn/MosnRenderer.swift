import Foundation

/// Renders a MOSN instance's `/api/v1/stats` and `/api/v1/config_dump` from the same flows and
/// routing the Envoy sidecars are rendered from. Stats: metric type → namespace (sorted labels
/// as `k.v`) → key → value as a string; clusters carry Istio's names (MOSN on Istio).
enum MosnRenderer {
    static func stats(_ context: ProxyContext) -> [(String, JSONValue)] {
        var upstream: [(String, JSONValue)] = []
        for name in context.clusterNames {
            guard let counters = context.traffic.byCluster[name] else { continue }
            upstream.append(("cluster.\(name)", clusterValues(counters)))
            for (pod, hostCounters) in (context.traffic.byClusterHost[name] ?? [:]).sorted(by: { $0.key < $1.key }) {
                let address = "\(context.topology.proxies[pod].podIP):\(context.topology.services[context.topology.proxies[pod].service].port)"
                upstream.append(("cluster.\(name).host.\(address)", clusterValues(hostCounters)))
            }
        }
        let inbound = context.traffic.inboundTotal
        let outbound = context.traffic.byCluster.filter { $0.key.hasPrefix("outbound|") }.values.reduce(FlowCounters(), +)
        let downstream: [(String, JSONValue)] = [
            ("listener.0.0.0.0_15006", listenerValues(inbound)),
            ("listener.0.0.0.0_15001", listenerValues(outbound)),
        ]
        return [("downstream", .object(downstream)), ("upstream", .object(upstream))]
    }

    static func split(_ counters: FlowCounters) -> (success: Int, failed: Int) {
        var success = 0, failed = 0
        for (slot, code) in simResponseCodes.enumerated() {
            if code >= 500 { failed += counters.byCode[slot].count } else { success += counters.byCode[slot].count }
        }
        return (success, failed)
    }

    static func clusterValues(_ counters: FlowCounters) -> JSONValue {
        let (success, failed) = split(counters)
        let nanoseconds = Int(counters.byCode.reduce(0) { $0 + $1.sumMs } * 1_000_000)
        return .object([
            ("connection_active", .string(counters.total > 0 ? "1" : "0")), ("connection_con_fail", .string("0")),
            ("connection_total", .string(String(counters.total > 0 ? counters.total / 500 + 1 : 0))),
            ("request_active", .string("0")), ("request_duration_time_total", .string(String(nanoseconds))),
            ("request_pending_overflow", .string("0")), ("request_timeout", .string("0")),
            ("request_total", .string(String(counters.total))),
            ("response_failed", .string(String(failed))), ("response_success", .string(String(success))),
        ])
    }

    static func listenerValues(_ counters: FlowCounters) -> JSONValue {
        let (_, failed) = split(counters)
        let nanoseconds = Int(counters.byCode.reduce(0) { $0 + $1.sumMs } * 1_000_000)
        return .object([
            ("connection_active", .string(counters.total > 0 ? "1" : "0")),
            ("connection_total", .string(String(counters.total > 0 ? counters.total / 500 + 1 : 0))),
            ("request_active", .string("0")), ("request_failed", .string(String(failed))),
            ("request_time_total", .string(String(nanoseconds))), ("request_total", .string(String(counters.total))),
        ])
    }

    /// The whole MOSN config: an ingress and an egress listener, one router per service the pod
    /// sees (weighted to subsets as the applied VirtualService says), and the cluster set.
    static func configDump(_ context: ProxyContext) -> JSONValue {
        var routers: [JSONValue] = []
        for service in context.visibleServices where !service.isGateway {
            var route: JSONValue = obj(("cluster_name", .string(service.defaultCluster)))
            if let weights = context.routing.virtualService(for: service.index)?.subsetWeights {
                route = obj(("weighted_clusters", .array(weights.keys.sorted().map { subset in
                    obj(("cluster", obj(("name", .string(service.subsetCluster(subset))), ("weight", .int(weights[subset] ?? 0)))))
                })))
            }
            routers.append(obj(
                ("router_config_name", .string("\(service.hostname):\(service.port)")),
                ("virtual_hosts", .array([obj(("name", .string(service.hostname)),
                                              ("domains", .array([.string(service.hostname), .string("\(service.hostname):\(service.port)")])),
                                              ("routers", .array([obj(("match", obj(("prefix", .string("/")))), ("route", route))])))]))))
        }
        let listeners: [JSONValue] = [
            obj(("name", .string("0.0.0.0_15006")), ("address", .string("0.0.0.0:15006")), ("bind_port", .bool(true)),
                ("filter_chains", .array([obj(("filters", .array([obj(("type", .string("proxy")),
                                                                   ("config", obj(("downstream_protocol", .string("Http1")),
                                                                                  ("router_config_name", .string("inbound")))))])))]))),
            obj(("name", .string("0.0.0.0_15001")), ("address", .string("0.0.0.0:15001")), ("bind_port", .bool(true)),
                ("filter_chains", .array([obj(("filters", .array([obj(("type", .string("proxy")),
                                                                   ("config", obj(("downstream_protocol", .string("Auto")),
                                                                                  ("router_config_name", .string("outbound")))))])))]))),
        ]
        let clusters = context.clusterNames.map { name in
            obj(("name", .string(name)), ("type", .string(name.hasPrefix("outbound|") ? "EDS" : "SIMPLE")), ("lb_type", .string("LB_ROUNDROBIN")))
        }
        return obj(
            ("servers", .array([obj(("default_log_path", .string(MosnAdminRouter.defaultLogPath)), ("default_log_level", .string("INFO")),
                                    ("routers", .array(routers)), ("listeners", .array(listeners)))])),
            ("cluster_manager", obj(("clusters", .array(clusters)))),
            ("admin", obj(("address", obj(("socket_address", obj(("address", .string("0.0.0.0")), ("port_value", .int(34901)))))))))
    }
}
