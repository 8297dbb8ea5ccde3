import Foundation

/// Assembles a proxy's `/config_dump` and applies Envoy's query parameters: `resource=`
/// (each element of one repeated field becomes its own `Any`), `mask=` (a FieldMask on each
/// dump or element), `name_regex=` and `include_eds`.
enum ConfigDumpRenderer {
    enum Failure: Error { case badRequest(String), notFound(String) }

    static let prefix = ConfigDumpResources.typePrefix

    /// The top-level dumps in Envoy's order: Bootstrap, Clusters, Listeners, ScopedRoutes,
    /// Routes, Secrets (and Endpoints with `include_eds`).
    static func dumps(_ context: ProxyContext, includeEDS: Bool) -> [JSONValue] {
        let updated = JSONValue.string(Timestamp.rfc3339(context.lastUpdated, fractional: true))
        let version = JSONValue.string(context.versionInfo)
        let bootstrap = obj(
            ("@type", .string(prefix + "envoy.admin.v3.BootstrapConfigDump")),
            ("bootstrap", obj(
                ("node", EnvoyAdminRenderer.node(context)),
                ("static_resources", obj(("clusters", .array(staticClusters.map { $0.1 })))),
                ("dynamic_resources", obj(("lds_config", ConfigDumpResources.ads()), ("cds_config", ConfigDumpResources.ads()),
                                          ("ads_config", obj(("api_type", "GRPC"), ("set_node_on_first_message_only", true),
                                                             ("transport_api_version", "V3"),
                                                             ("grpc_services", [obj(("envoy_grpc", obj(("cluster_name", "xds-grpc"))))]))))),
                ("admin", obj(("address", obj(("socket_address", obj(("address", "127.0.0.1"), ("port_value", .int(context.adminPort == 0 ? 15000 : context.adminPort)))))),
                              ("profile_path", "/var/lib/istio/data/envoy.prof"))),
                ("stats_config", obj(("stats_tags", ConfigDumpResources.statsTags), ("use_all_default_tags", false))))),
            ("last_updated", .string(Timestamp.rfc3339(context.runtime.startedAt, fractional: true))))

        var dynamicClusters: [JSONValue] = context.outboundClusters.map { cluster in
            obj(("version_info", version),
                ("cluster", context.cache.value(clusterKey(cluster.name, rule: context.routing.destinationRule(for: cluster.service.index))) {
                    ConfigDumpResources.outboundCluster(name: cluster.name, service: cluster.service, subset: cluster.subset,
                                                        rule: context.routing.destinationRule(for: cluster.service.index))
                }),
                ("last_updated", updated))
        }
        if let inbound = context.inboundCluster {
            dynamicClusters.append(obj(("version_info", version), ("cluster", ConfigDumpResources.inboundCluster(context, name: inbound)), ("last_updated", updated)))
        }
        if let rejection = context.runtime.rejection, !dynamicClusters.isEmpty, case var .object(first) = dynamicClusters[0] {
            first.append(("error_state", obj(("last_update_attempt", updated), ("details", .string(rejection)))))
            first.append(("client_status", "NACKED"))
            dynamicClusters[0] = .object(first)
        }
        let clusters = obj(
            ("@type", .string(prefix + "envoy.admin.v3.ClustersConfigDump")), ("version_info", version),
            ("static_clusters", .array(staticClusters.map { obj(("cluster", $0.1), ("last_updated", .string(Timestamp.rfc3339(context.runtime.startedAt, fractional: true)))) })),
            ("dynamic_active_clusters", .array(dynamicClusters)))

        let listeners = obj(
            ("@type", .string(prefix + "envoy.admin.v3.ListenersConfigDump")), ("version_info", version),
            ("static_listeners", [
                obj(("listener", ConfigDumpResources.staticListener(name: "stats", port: 15090)), ("last_updated", .string(Timestamp.rfc3339(context.runtime.startedAt, fractional: true)))),
                obj(("listener", ConfigDumpResources.staticListener(name: "agent", port: 15021)), ("last_updated", .string(Timestamp.rfc3339(context.runtime.startedAt, fractional: true)))),
            ]),
            ("dynamic_listeners", .array(context.listenerNames.map { listener in
                obj(("name", .string(listener.name)),
                    ("active_state", obj(("version_info", version),
                                         ("listener", context.cache.value("listener|\(listener.name)|\(listener.port)") {
                                             ConfigDumpResources.listener(name: listener.name, address: listener.address, port: listener.port)
                                         }),
                                         ("last_updated", updated))))
            })))
        let scoped = obj(("@type", .string(prefix + "envoy.admin.v3.ScopedRoutesConfigDump")))
        let ports = context.listenerNames.filter { !$0.name.hasPrefix("virtual") }.map(\.port)
        let routes = obj(
            ("@type", .string(prefix + "envoy.admin.v3.RoutesConfigDump")),
            ("dynamic_route_configs", .array(ports.map { port in
                obj(("version_info", version),
                    ("route_config", context.cache.value("route|\(port)|\(context.proxy.namespace)|\(context.routing.revision)|\(context.service.isGateway)") {
                        ConfigDumpResources.routeConfiguration(port: port, context: context)
                    }),
                    ("last_updated", updated))
            })))
        let secretDump = secretsDump(context)
        // Envoy's order: the endpoints dump (with include_eds) follows the clusters dump.
        return [bootstrap, clusters] + (includeEDS ? [endpoints(context)] : []) + [listeners, scoped, routes, secretDump]
    }

    /// The secrets dump alone: all `?resource=` a secret needs (pollers read it every
    /// `certsRefresh` from every proxy), without building the O(services) clusters and routes.
    static func secretsDump(_ context: ProxyContext) -> JSONValue {
        /// The Istio agent versions each SDS push `<generation time>/<count>`, as real dumps show.
        func secretVersion(_ generated: Date) -> String { Timestamp.rfc3339(generated) + "/1" }
        var secrets: [JSONValue] = []
        if let leaf = context.runtime.leaf {
            let chain = Data(context.ca.chainPEM(leaf: leaf).utf8).base64EncodedString()
            let issued = leaf.notBefore.addingTimeInterval(120)
            secrets.append(ConfigDumpResources.secret(
                name: "default",
                body: ("tls_certificate", obj(("certificate_chain", obj(("inline_bytes", .string(chain)))),
                                              ("private_key", obj(("inline_bytes", "W3JlZGFjdGVkXQ=="))))),
                lastUpdated: issued, versionInfo: secretVersion(issued)))
            secrets.append(ConfigDumpResources.secret(
                name: "ROOTCA",
                body: ("validation_context", obj(("trusted_ca", obj(("inline_bytes", .string(Data(context.ca.root.pem.utf8).base64EncodedString())))))),
                lastUpdated: context.runtime.startedAt, versionInfo: secretVersion(context.runtime.startedAt)))
        }
        return obj(("@type", .string(prefix + "envoy.admin.v3.SecretsConfigDump")), ("dynamic_active_secrets", .array(secrets)))
    }

    static let secretResources: Set = ["static_secrets", "dynamic_active_secrets", "dynamic_warming_secrets"]

    static let staticClusters: [(String, JSONValue)] = [
        ("agent", ConfigDumpResources.staticCluster(name: "agent", address: "127.0.0.1", port: 15020)),
        ("prometheus_stats", ConfigDumpResources.staticCluster(name: "prometheus_stats", address: "127.0.0.1", port: 15000)),
        ("sds-grpc", ConfigDumpResources.staticCluster(name: "sds-grpc", address: "127.0.0.1", port: 15012)),
        ("xds-grpc", ConfigDumpResources.staticCluster(name: "xds-grpc", address: "127.0.0.1", port: 15010)),
    ]

    static func endpoints(_ context: ProxyContext) -> JSONValue {
        let configs: [JSONValue] = context.outboundClusters.map { cluster in
            let pods = context.endpoints(of: cluster.service, subset: cluster.subset)
            let lbEndpoints: [JSONValue] = pods.map { pod in
                obj(("endpoint", obj(("address", obj(("socket_address", obj(("address", .string(pod.podIP)), ("port_value", .int(cluster.service.port)))))),
                                     ("health_check_config", obj()))),
                    ("health_status", .string(context.serving[pod.index] ? "HEALTHY" : "UNHEALTHY")),
                    ("metadata", obj(("filter_metadata", obj(("istio", obj(("workload", .string("\(context.topology.workloads[pod.workload].name);\(pod.namespace);\(cluster.service.name);\(context.topology.workloads[pod.workload].version);Kubernetes")))))))),
                    ("load_balancing_weight", 1))
            }
            return obj(("endpoint_config", obj(
                ("@type", .string(prefix + "envoy.config.endpoint.v3.ClusterLoadAssignment")),
                ("cluster_name", .string(cluster.name)),
                ("endpoints", lbEndpoints.isEmpty ? nil : [obj(("locality", obj(("region", "region1"), ("zone", "zone1"))),
                                                               ("lb_endpoints", .array(lbEndpoints)),
                                                               ("load_balancing_weight", .int(lbEndpoints.count)))]),
                ("policy", obj(("overprovisioning_factor", 140))))))
        }
        return obj(("@type", .string(prefix + "envoy.admin.v3.EndpointsConfigDump")), ("dynamic_endpoint_configs", .array(configs)))
    }

    /// Everything an outbound cluster's JSON depends on.
    static func clusterKey(_ name: String, rule: SimDestinationRule?) -> String {
        "cluster|\(name)|\(rule.map { "\($0.namespace)/\($0.name)@\($0.resourceVersion)|\($0.loadBalancer ?? "")" } ?? "-")"
    }

    /// Element type of each repeated field that `?resource=` can select.
    static let resourceTypes: [String: String] = [
        "static_clusters": "envoy.admin.v3.ClustersConfigDump.StaticCluster",
        "dynamic_active_clusters": "envoy.admin.v3.ClustersConfigDump.DynamicCluster",
        "dynamic_warming_clusters": "envoy.admin.v3.ClustersConfigDump.DynamicCluster",
        "static_listeners": "envoy.admin.v3.ListenersConfigDump.StaticListener",
        "dynamic_listeners": "envoy.admin.v3.ListenersConfigDump.DynamicListener",
        "static_route_configs": "envoy.admin.v3.RoutesConfigDump.StaticRouteConfig",
        "dynamic_route_configs": "envoy.admin.v3.RoutesConfigDump.DynamicRouteConfig",
        "static_secrets": "envoy.admin.v3.SecretsConfigDump.StaticSecret",
        "dynamic_active_secrets": "envoy.admin.v3.SecretsConfigDump.DynamicSecret",
        "dynamic_warming_secrets": "envoy.admin.v3.SecretsConfigDump.DynamicSecret",
        "dynamic_endpoint_configs": "envoy.admin.v3.EndpointsConfigDump.DynamicEndpointConfig",
        "static_endpoint_configs": "envoy.admin.v3.EndpointsConfigDump.StaticEndpointConfig",
    ]

    /// Applies the query and returns `{"configs": [...]}`.
    static func render(_ context: ProxyContext, query: [String: String]) throws -> JSONValue {
        let includeEDS = query["include_eds"] != nil
        var configs = query["resource"].map(secretResources.contains) == true ? [secretsDump(context)] : dumps(context, includeEDS: includeEDS)
        let regex = try query["name_regex"].map { pattern -> NSRegularExpression in
            do { return try NSRegularExpression(pattern: "^(?:\(pattern))$") } catch {
                throw Failure.badRequest("Error while parsing name_regex from \(pattern): \(error)")
            }
        }
        if let resource = query["resource"], !resource.isEmpty {
            guard let elementType = resourceTypes[resource] else {
                throw Failure.notFound("Error while dumping config: Cannot find resource field: \(resource)")
            }
            var elements: [JSONValue] = []
            for dump in configs {
                guard let items = dump[resource]?.arrayValue else { continue }
                for item in items {
                    guard case let .object(pairs) = item.resolved else { continue }
                    elements.append(.object([("@type", .string(prefix + elementType))] + pairs))
                }
            }
            configs = elements
            // What Envoy answers when the field has nothing in it.
            if configs.isEmpty { return obj() }
        }
        if let regex {
            configs = configs.map { filterByName($0, regex: regex) }.compactMap { $0 }
        }
        if let mask = query["mask"], !mask.isEmpty {
            let paths = mask.split(separator: ",").map { $0.split(separator: ".").map(String.init) }
            configs = configs.map { FieldMask.apply(paths, to: $0) }
        }
        return obj(("configs", .array(configs)))
    }

    /// Drops resources whose name does not match; returns nil for an element that fails.
    static func filterByName(_ value: JSONValue, regex: NSRegularExpression) -> JSONValue? {
        func matches(_ name: String) -> Bool {
            regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
        }
        func nameOf(_ item: JSONValue) -> String? {
            item["name"]?.stringValue ?? item["cluster"]?["name"]?.stringValue
                ?? item["route_config"]?["name"]?.stringValue ?? item["endpoint_config"]?["cluster_name"]?.stringValue
                ?? item["active_state"]?["listener"]?["name"]?.stringValue
        }
        guard case let .object(pairs) = value.resolved else { return value }
        if let name = nameOf(value), pairs.first?.0 == "@type", value["bootstrap"] == nil, resourceLike(value) {
            return matches(name) ? value : nil
        }
        return .object(pairs.map { key, item in
            guard case let .array(items) = item.resolved, key != "stats_tags" else { return (key, item) }
            return (key, .array(items.filter { element in nameOf(element).map(matches) ?? true }))
        })
    }

    private static func resourceLike(_ value: JSONValue) -> Bool {
        guard let type = value["@type"]?.stringValue else { return false }
        return resourceTypes.values.contains { type.hasSuffix($0) }
    }
}

/// Protobuf FieldMask trimming on JSON: keeps only the listed paths (and every `@type`), and
/// applies a path through repeated fields to each element, as Envoy's `?mask=` does.
enum FieldMask {
    static func apply(_ paths: [[String]], to value: JSONValue) -> JSONValue {
        switch value.resolved {
        case let .object(pairs):
            var kept: [(String, JSONValue)] = []
            for (key, item) in pairs {
                if key == "@type" { kept.append((key, item)); continue }
                let matching = paths.filter { $0.first == key }
                if matching.isEmpty { continue }
                if matching.contains(where: { $0.count == 1 }) {
                    kept.append((key, item))
                } else {
                    kept.append((key, apply(matching.map { Array($0.dropFirst()) }, to: item)))
                }
            }
            return .object(kept)
        case let .array(items):
            return .array(items.map { apply(paths, to: $0) })
        default:
            return value
        }
    }
}
