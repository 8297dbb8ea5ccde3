import Foundation

/// Builders for the resources inside a proxy's `/config_dump`, shaped after real Istio sidecar
/// dumps (fixtures under istio/istioctl/pkg/…/testdata).
enum ConfigDumpResources {
    static let typePrefix = "type.googleapis.com/"

    static func ads() -> JSONValue {
        obj(("ads", obj()), ("initial_fetch_timeout", "0s"), ("resource_api_version", "V3"))
    }

    static func sdsConfig(_ name: String) -> JSONValue {
        obj(("name", .string(name)),
            ("sds_config", obj(("api_config_source", obj(("api_type", "GRPC"), ("grpc_services", [obj(("envoy_grpc", obj(("cluster_name", "sds-grpc"))))]),
                                                         ("set_node_on_first_message_only", true), ("transport_api_version", "V3"))),
                               ("initial_fetch_timeout", "0s"), ("resource_api_version", "V3"))))
    }

    static let breakers = obj(("thresholds", [obj(("max_connections", 4_294_967_295), ("max_pending_requests", 4_294_967_295),
                                                  ("max_requests", 4_294_967_295), ("max_retries", 4_294_967_295),
                                                  ("track_remaining", true))]))

    /// An outbound EDS cluster with Istio's mTLS transport socket matches.
    static func outboundCluster(name: String, service: SimService, subset: String?, rule: SimDestinationRule?) -> JSONValue {
        var istio: [(String, JSONValue?)] = [
            ("default_original_port", .int(service.port)),
            ("services", [obj(("host", .string(service.hostname)), ("name", .string(service.name)), ("namespace", .string(service.namespace)))]),
        ]
        if let rule {
            istio.append(("config", .string("/apis/networking.istio.io/v1/namespaces/\(rule.namespace)/destination-rule/\(rule.name)")))
        }
        if let subset { istio.append(("subset", .string(subset))) }
        let sni = "outbound_.\(service.port)_.\(subset ?? "")_.\(service.hostname)"
        let tls = obj(
            ("name", "envoy.transport_sockets.tls"),
            ("typed_config", obj(
                ("@type", .string(typePrefix + "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext")),
                ("common_tls_context", obj(
                    ("tls_params", obj(("tls_minimum_protocol_version", "TLSv1_2"), ("tls_maximum_protocol_version", "TLSv1_3"))),
                    ("alpn_protocols", ["istio-peer-exchange", "istio"]),
                    ("tls_certificate_sds_secret_configs", [sdsConfig("default")]),
                    ("combined_validation_context", obj(
                        ("default_validation_context", obj(("match_subject_alt_names", [obj(("exact", .string("spiffe://cluster.local/ns/\(service.namespace)/sa/\(service.serviceAccount)")))]))),
                        ("validation_context_sds_secret_config", sdsConfig("ROOTCA")))))),
                ("sni", .string(sni)))))
        return obj(
            ("@type", .string(typePrefix + "envoy.config.cluster.v3.Cluster")),
            ("name", .string(name)), ("type", "EDS"),
            ("eds_cluster_config", obj(("eds_config", ads()), ("service_name", .string(name)))),
            ("connect_timeout", "10s"), ("lb_policy", rule?.loadBalancer.map(JSONValue.string) ?? "LEAST_REQUEST"),
            ("circuit_breakers", breakers),
            ("alt_stat_name", service.mesh.hasIstioStats ? .string(name + ";") : nil),
            ("metadata", obj(("filter_metadata", obj(("istio", .object(istio.compactMap { k, v in v.map { (k, $0) } })))))),
            ("filters", [obj(("name", "istio.metadata_exchange"),
                             ("typed_config", obj(("@type", .string(typePrefix + "envoy.tcp.metadataexchange.config.MetadataExchange")),
                                                  ("protocol", "istio-peer-exchange"))))]),
            ("transport_socket_matches", [
                obj(("name", "tlsMode-istio"), ("match", obj(("tlsMode", "istio"))), ("transport_socket", tls)),
                obj(("name", "tlsMode-disabled"), ("match", obj()),
                    ("transport_socket", obj(("name", "envoy.transport_sockets.raw_buffer"),
                                             ("typed_config", obj(("@type", .string(typePrefix + "envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer"))))))),
            ]))
    }

    static func inboundCluster(_ context: ProxyContext, name: String) -> JSONValue {
        let service = context.service
        return obj(
            ("@type", .string(typePrefix + "envoy.config.cluster.v3.Cluster")),
            ("name", .string(name)), ("type", "ORIGINAL_DST"), ("connect_timeout", "10s"),
            ("lb_policy", "CLUSTER_PROVIDED"), ("circuit_breakers", breakers),
            ("upstream_bind_config", obj(("source_address", obj(("address", "127.0.0.6"), ("port_value", 0))))),
            ("alt_stat_name", context.mesh.hasIstioStats ? .string(name + ";") : nil),
            ("metadata", obj(("filter_metadata", obj(("istio", obj(
                ("services", [obj(("host", .string(service.hostname)), ("name", .string(service.name)), ("namespace", .string(service.namespace)))]))))))))
    }

    static func staticCluster(name: String, address: String, port: Int) -> JSONValue {
        obj(("@type", .string(typePrefix + "envoy.config.cluster.v3.Cluster")),
            ("name", .string(name)), ("type", "STATIC"), ("connect_timeout", "0.250s"),
            ("load_assignment", obj(("cluster_name", .string(name)),
                                    ("endpoints", [obj(("lb_endpoints", [obj(("endpoint", obj(("address", obj(("socket_address", obj(("address", .string(address)), ("port_value", .int(port)))))))))]))]))))
    }

    /// `RouteConfiguration` named by port, one virtual host per visible service on that port.
    static func routeConfiguration(port: Int, context: ProxyContext) -> JSONValue {
        var hosts: [JSONValue] = []
        for service in context.visibleServices where service.port == port && !service.isGateway {
            let virtualService = context.routing.virtualService(for: service.index)
            let action: JSONValue
            var routeName: JSONValue = "default"
            if let virtualService, let route = virtualService.routes.last, route.destinations.count > 1 {
                routeName = .string(route.name ?? "default")
                let clusters: [JSONValue] = route.destinations.map {
                    obj(("name", .string(service.subsetCluster($0.subset ?? ""))), ("weight", .int($0.weight)))
                }
                action = obj(("weighted_clusters", obj(("clusters", .array(clusters)))),
                             ("timeout", .string(route.timeout ?? "0s")),
                             ("retry_policy", retryPolicy(attempts: route.retryAttempts ?? 2, perTry: route.perTryTimeout)),
                             ("max_stream_duration", maxStreamDuration))
            } else {
                let route = virtualService?.routes.last
                let cluster = route?.destinations.first?.subset.map { service.subsetCluster($0) } ?? service.defaultCluster
                action = obj(("cluster", .string(cluster)), ("timeout", .string(route?.timeout ?? "0s")),
                             ("retry_policy", retryPolicy(attempts: route?.retryAttempts ?? 2, perTry: route?.perTryTimeout)),
                             ("max_stream_duration", maxStreamDuration))
            }
            var route: [(String, JSONValue?)] = [("name", routeName), ("match", obj(("prefix", "/"))), ("route", action),
                                                 ("decorator", obj(("operation", .string("\(service.hostname):\(port)/*"))))]
            if let virtualService {
                route.append(("metadata", obj(("filter_metadata", obj(("istio", obj(("config", .string("/apis/networking.istio.io/v1/namespaces/\(virtualService.namespace)/virtual-service/\(virtualService.name)")))))))))
            }
            let shortName = service.namespace == context.proxy.namespace ? [JSONValue.string(service.name), .string("\(service.name):\(port)")] : []
            hosts.append(obj(
                ("name", .string("\(service.hostname):\(port)")),
                ("domains", .array([.string(service.hostname), .string("\(service.hostname):\(port)")] + shortName
                    + [.string("\(service.name).\(service.namespace)"), .string("\(service.name).\(service.namespace):\(port)"),
                       .string(service.vip), .string("\(service.vip):\(port)")])),
                ("routes", [.object(route.compactMap { k, v in v.map { (k, $0) } })]),
                ("include_request_attempt_count", true)))
        }
        hosts.append(obj(("name", "allow_any"), ("domains", ["*"]),
                         ("routes", [obj(("name", "allow_any"), ("match", obj(("prefix", "/"))),
                                         ("route", obj(("cluster", "PassthroughCluster"), ("timeout", "0s"), ("max_stream_duration", maxStreamDuration))))]),
                         ("include_request_attempt_count", true)))
        return obj(("@type", .string(typePrefix + "envoy.config.route.v3.RouteConfiguration")),
                   ("name", .string(String(port))), ("virtual_hosts", .array(hosts)), ("validate_clusters", false))
    }

    /// Istio ≥ 1.11 sets a zero max stream duration and honours grpc-timeout headers.
    static let maxStreamDuration = obj(("max_stream_duration", "0s"), ("grpc_timeout_header_max", "0s"))

    static func retryPolicy(attempts: Int, perTry: String?) -> JSONValue {
        obj(("retry_on", "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"),
            ("num_retries", .int(attempts)), ("per_try_timeout", perTry.map(JSONValue.string)),
            ("retry_host_predicate", [obj(("name", "envoy.retry_host_predicates.previous_hosts"))]),
            ("host_selection_retry_max_attempts", "5"), ("retriable_status_codes", [503]))
    }

    /// A listener: the virtual ones, or `0.0.0.0_<port>` with an HTTP connection manager using RDS.
    static func listener(name: String, address: String, port: Int) -> JSONValue {
        let hcm = obj(
            ("name", "envoy.filters.network.http_connection_manager"),
            ("typed_config", obj(
                ("@type", .string(typePrefix + "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager")),
                ("stat_prefix", .string("outbound_0.0.0.0_\(port);")),
                ("rds", obj(("config_source", ads()), ("route_config_name", .string(String(port))))),
                ("http_filters", [
                    obj(("name", "istio.metadata_exchange"), ("typed_config", obj(("@type", .string(typePrefix + "udpa.type.v1.TypedStruct")), ("type_url", "type.googleapis.com/io.istio.http.peer_metadata.Config")))),
                    obj(("name", "envoy.filters.http.router"), ("typed_config", obj(("@type", .string(typePrefix + "envoy.extensions.filters.http.router.v3.Router"))))),
                ]),
                ("use_remote_address", false))))
        let isVirtual = name.hasPrefix("virtual")
        return obj(
            ("@type", .string(typePrefix + "envoy.config.listener.v3.Listener")),
            ("name", .string(name)),
            ("address", obj(("socket_address", obj(("address", .string(address)), ("port_value", .int(port)))))),
            ("filter_chains", isVirtual
                ? [obj(("filter_chain_match", obj(("destination_port", .int(port)))),
                       ("filters", [obj(("name", "envoy.filters.network.tcp_proxy"),
                                        ("typed_config", obj(("@type", .string(typePrefix + "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy")),
                                                             ("stat_prefix", "BlackHoleCluster"), ("cluster", "BlackHoleCluster"))))]),
                       ("name", .string(name == "virtualInbound" ? "virtualInbound-blackhole" : "virtualOutbound-blackhole")))]
                : [obj(("filters", [hcm]))]),
            ("use_original_dst", isVirtual && name == "virtualOutbound" ? true : nil),
            ("traffic_direction", .string(name == "virtualInbound" ? "INBOUND" : "OUTBOUND")))
    }

    /// Istio's static listeners: Prometheus scraping (15090) and the health endpoint (15021).
    static func staticListener(name: String, port: Int) -> JSONValue {
        obj(("@type", .string(typePrefix + "envoy.config.listener.v3.Listener")),
            ("address", obj(("socket_address", obj(("address", "0.0.0.0"), ("port_value", .int(port)))))),
            ("filter_chains", [obj(("filters", [obj(("name", "envoy.filters.network.http_connection_manager"),
                                                    ("typed_config", obj(("@type", .string(typePrefix + "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager")),
                                                                         ("stat_prefix", .string(name)))))]))]))
    }

    static func secret(name: String, body: (String, JSONValue), lastUpdated: Date, versionInfo: String?) -> JSONValue {
        obj(("name", .string(name)), ("version_info", versionInfo.map(JSONValue.string)),
            ("last_updated", .string(Timestamp.rfc3339(lastUpdated, fractional: true))),
            ("secret", obj(("@type", .string(typePrefix + "envoy.extensions.transport_sockets.tls.v3.Secret")),
                           ("name", .string(name)), (body.0, body.1))))
    }

    /// Istio's stats tag extraction (1.23+: cluster names end with `;`).
    static let statsTags: JSONValue = [
        obj(("tag_name", "cluster_name"), ("regex", "^cluster\\.((.+?(\\..+?\\.svc\\.cluster\\.local)?);\\.)")),
        obj(("tag_name", "http_conn_manager_prefix"), ("regex", "^http\\.(((?:[_.[:digit:]]*|[_\\[\\]aAbBcCdDeEfF[:digit:]]*));\\.)")),
        obj(("tag_name", "response_code_class"), ("regex", "_rq(_(\\dxx))$")),
        obj(("tag_name", "response_code"), ("regex", "_rq(_(\\d{3}))$|_rq_(\\d{3})$")),
        obj(("tag_name", "listener_address"), ("regex", "^listener\\.(((?:[_.[:digit:]]*|[_\\[\\]aAbBcCdDeEfF[:digit:]]*))\\.)")),
    ]
}
