import Foundation

/// Renders a proxy's `/server_info`, `/clusters?format=json`, `/certs` and `/listeners` in
/// Envoy's proto3 JSON (snake_case, int64 as strings, defaults omitted where Envoy omits them).
enum EnvoyAdminRenderer {
    static let envoySHA = "8a3511baac4f20ff7761c2efaf13e2dbda7901ca"

    static func node(_ context: ProxyContext) -> JSONValue {
        context.cache.value("node|\(context.proxy.index)") { buildNode(context) }
    }

    private static func buildNode(_ context: ProxyContext) -> JSONValue {
        let service = context.service
        let workload = context.workload
        let labels = service.isGateway
            ? obj(("app", "istio-ingressgateway"), ("istio", "ingressgateway"))
            : obj(("app", .string(service.name)), ("version", .string(workload.version)),
                  ("security.istio.io/tlsMode", "istio"), ("service.istio.io/canonical-name", .string(service.name)),
                  ("service.istio.io/canonical-revision", .string(workload.version)))
        let versionParts = context.envoyVersion.split(separator: ".").compactMap { Int($0) }
        return obj(
            ("id", .string(context.mesh.nodeID(context.proxy, service: service))),
            ("cluster", .string("\(service.name).\(service.namespace)")),
            ("metadata", context.mesh.hasIstioStats ? obj(
                ("CLUSTER_ID", "Kubernetes"), ("ISTIO_VERSION", .string(context.istioVersion)),
                ("ISTIO_PROXY_SHA", .string("istio-proxy:\(envoySHA)")),
                ("INTERCEPTION_MODE", "REDIRECT"), ("LABELS", labels), ("MESH_ID", "cluster.local"),
                ("NAME", .string(context.proxy.podName)), ("NAMESPACE", .string(context.proxy.namespace)),
                ("NODE_NAME", .string(context.topology.nodeNames[context.topology.node(ofProxy: context.proxy.index)])),
                ("OWNER", .string("kubernetes://apis/apps/v1/namespaces/\(context.proxy.namespace)/deployments/\(workload.name)")),
                ("SERVICE_ACCOUNT", .string(service.serviceAccount)), ("WORKLOAD_NAME", .string(workload.name))) : plainMetadata(context)),
            ("locality", obj(("region", "region1"), ("zone", "zone1"))),
            ("user_agent_name", "envoy"),
            ("user_agent_build_version", obj(
                ("version", obj(("major_number", .int(versionParts.first ?? 1)), ("minor_number", .int(versionParts.dropFirst().first ?? 0)),
                                ("patch", .int(versionParts.dropFirst(2).first ?? 0)))),
                ("metadata", obj(("build.type", "RELEASE"), ("revision.sha", .string(envoySHA)),
                                 ("revision.status", "Clean"), ("ssl.version", "BoringSSL"))))),
            ("extensions", []), ("client_features", ["envoy.lb.does_not_support_overprovisioning", "envoy.lrs.supports_send_all_clusters"]))
    }

    /// Node metadata of an Envoy without Istio (no `ISTIO_VERSION`: meshtop tells it by that):
    /// what each control plane puts there.
    private static func plainMetadata(_ context: ProxyContext) -> JSONValue {
        switch context.mesh {
        case .kuma:
            obj(("dataplane.admin.port", .string(String(context.adminPort == 0 ? 9901 : context.adminPort))),
                ("version", obj(("kumaDp", obj(("version", "2.9.3"))), ("envoy", obj(("version", .string(context.envoyVersion)))))))
        case .consul: obj(("namespace", .string(context.proxy.namespace)), ("partition", "default"))
        default: obj()
        }
    }

    /// The node as `/server_info` shows it: the bootstrap's node and what Envoy 1.40 adds at run
    /// time (the config dump's bootstrap shows the node as configured, without these).
    static func runningNode(_ context: ProxyContext) -> JSONValue {
        guard case let .object(pairs) = node(context).resolved else { return node(context) }
        return .object(pairs + [("listening_addresses", []), ("dynamic_parameters", .object([]))])
    }

    static func serverInfo(_ context: ProxyContext) -> JSONValue {
        let uptime = "\(context.uptimeSeconds)s"
        return obj(
            ("version", .string("\(envoySHA)/\(context.envoyVersion)-dev/Clean/RELEASE/BoringSSL")),
            ("state", .string(context.runtime.serverState)),
            ("hot_restart_version", "11.104"), ("hot_restart_initializing", false),
            ("command_line_options", obj(
                ("base_id", "0"), ("concurrency", 2), ("config_path", "etc/istio/proxy/envoy-rev.json"),
                ("config_yaml", ""), ("allow_unknown_static_fields", false), ("reject_unknown_dynamic_fields", false),
                ("admin_address_path", ""), ("local_address_ip_version", "v4"), ("log_level", "warning"),
                ("component_log_level", "misc:error"), ("log_format", "%Y-%m-%dT%T.%fZ\t%l\tenvoy %n %g:%#\t%v\tthread=%t"),
                ("log_path", ""), ("service_cluster", ""), ("service_node", ""), ("service_zone", ""),
                ("drain_time", "45s"), ("parent_shutdown_time", "60s"), ("mode", "Serve"),
                ("disable_hot_restart", false), ("drain_strategy", "Immediate"), ("restart_epoch", 0))),
            ("node", runningNode(context)),
            ("uptime_current_epoch", .string(uptime)), ("uptime_all_epochs", .string(uptime)))
    }

    /// `/clusters?format=json` with per-host counters summed from the flows through each host.
    static func clusters(_ context: ProxyContext) -> JSONValue {
        var statuses: [JSONValue] = []
        let breakers = context.cache.value("breakers") { circuitBreakers }
        for cluster in context.outboundClusters {
            statuses.append(clusterStatus(cluster, breakers: breakers, context: context))
        }
        return finishClusters(statuses, breakers: breakers, context: context)
    }

    static let circuitBreakers = obj(("thresholds", [
            obj(("max_connections", 4_294_967_295), ("max_pending_requests", 4_294_967_295),
                ("max_requests", 4_294_967_295), ("max_retries", 4_294_967_295)),
            obj(("priority", "HIGH"), ("max_connections", 1024), ("max_pending_requests", 1024),
                ("max_requests", 1024), ("max_retries", 3)),
        ]))

    static func clusterStatus(_ cluster: (name: String, service: SimService, subset: String?), breakers: JSONValue,
                              context: ProxyContext) -> JSONValue {
            let hosts: [JSONValue] = context.endpoints(of: cluster.service, subset: cluster.subset).map { pod in
                let counters = context.traffic.byClusterHost[cluster.name]?[pod.index] ?? FlowCounters()
                let errors = counters.byCode[2].count + counters.byCode[3].count
                let total = counters.total
                func stat(_ name: String, _ value: Int, gauge: Bool = false) -> JSONValue {
                    obj(("name", .string(name)), ("value", value == 0 ? nil : .string(String(value))), ("type", gauge ? "GAUGE" : nil))
                }
                return obj(
                    ("address", obj(("socket_address", obj(("address", .string(pod.podIP)), ("port_value", .int(cluster.service.port)))))),
                    ("stats", .array([
                        stat("cx_connect_fail", 0), stat("cx_total", total == 0 ? 0 : total / 500 + 1),
                        stat("rq_error", errors), stat("rq_success", total - errors), stat("rq_timeout", 0),
                        stat("rq_total", total), stat("cx_active", total == 0 ? 0 : 1, gauge: true), stat("rq_active", 0, gauge: true),
                    ])),
                    ("health_status", obj(("eds_health_status", context.serving[pod.index] ? "HEALTHY" : "UNHEALTHY"))),
                    ("weight", 1), ("locality", obj(("region", "region1"), ("zone", "zone1"))))
            }
            return obj(
                ("name", .string(cluster.name)), ("added_via_api", true), ("circuit_breakers", breakers),
                ("observability_name", .string(context.mesh.statName(cluster.name))), ("eds_service_name", .string(cluster.name)),
                ("host_statuses", hosts.isEmpty ? nil : .array(hosts)))
    }

    static func finishClusters(_ outbound: [JSONValue], breakers: JSONValue, context: ProxyContext) -> JSONValue {
        var statuses = outbound
        if let inbound = context.inboundCluster {
            statuses.append(obj(("name", .string(inbound)), ("added_via_api", true), ("circuit_breakers", breakers),
                                ("observability_name", .string(context.mesh.statName(inbound)))))
        }
        guard context.mesh.hasIstioStats else {
            for name in context.mesh.supportClusters {
                statuses.append(obj(("name", .string(name)), ("circuit_breakers", breakers), ("observability_name", .string(name))))
            }
            return obj(("cluster_statuses", .array(statuses)))
        }
        for name in ["BlackHoleCluster", "InboundPassthroughCluster", "PassthroughCluster"] {
            statuses.append(obj(("name", .string(name)), ("added_via_api", true), ("circuit_breakers", breakers), ("observability_name", .string(name))))
        }
        for (name, port) in [("prometheus_stats", 15000), ("agent", 15020)] {
            statuses.append(obj(("name", .string(name)), ("circuit_breakers", breakers), ("observability_name", .string(name)),
                                ("host_statuses", [obj(("address", obj(("socket_address", obj(("address", "127.0.0.1"), ("port_value", .int(port)))))),
                                                       ("stats", [obj(("name", "rq_total"))]),
                                                       ("health_status", obj(("eds_health_status", "HEALTHY"))), ("weight", 1))])))
        }
        return obj(("cluster_statuses", .array(statuses)))
    }

    /// One `CertificateDetails`, as Envoy's `/certs` prints it (with default fields printed).
    static func certificateDetails(_ certificate: IssuedCertificate, chainExpiry: Date? = nil, now: Date) -> JSONValue {
        let expiry = min(certificate.notAfter, chainExpiry ?? certificate.notAfter)
        let days = max(0, Int(expiry.timeIntervalSince(now) / 86400))
        let sans: [JSONValue] = certificate.spiffeID.map { [obj(("uri", .string($0)))] } ?? []
        return obj(("path", "<inline>"), ("serial_number", .string(certificate.serialHex)),
                   ("subject_alt_names", .array(sans)), ("days_until_expiration", .string(String(days))),
                   ("valid_from", .string(Timestamp.rfc3339(certificate.notBefore))),
                   ("expiration_time", .string(Timestamp.rfc3339(certificate.notAfter))))
    }

    /// `/certs`: one entry per TLS context — the inbound one and one per mTLS outbound cluster —
    /// so the same workload certificate appears many times, as on a real sidecar.
    static func certs(_ context: ProxyContext) -> JSONValue {
        guard let leaf = context.runtime.leaf else { return obj(("certificates", [])) }
        let root = certificateDetails(context.ca.root, now: context.now)
        let chain = certificateDetails(leaf, chainExpiry: context.ca.intermediate.notAfter, now: context.now)
        let contexts = (context.service.isGateway ? 0 : 1) + context.outboundClusters.count
        let entry = obj(("ca_cert", [root]), ("cert_chain", [chain]))
        return obj(("certificates", .array(Array(repeating: entry, count: max(1, contexts)))))
    }

    static func listeners(_ context: ProxyContext) -> JSONValue {
        obj(("listener_statuses", .array(context.listenerNames.map { listener in
            obj(("name", .string(listener.name)),
                ("local_address", obj(("socket_address", obj(("address", .string(listener.address)), ("port_value", .int(listener.port)))))))
        })))
    }
}
