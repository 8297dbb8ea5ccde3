import Foundation

/// Envoy 1.40 configuration for the real test mesh, as JSON values (Envoy reads JSON as YAML):
/// sidecars laid out as Istio lays them out — a plaintext or mTLS inbound listener on :15006 in
/// front of the workload on :9080, an outbound listener on :15001 routing by Host to
/// `outbound|9080|SUBSET|FQDN` clusters over mTLS, `inbound|9080||` to the workload — with file
/// xDS and SDS secrets (`dynamic`), everything in the bootstrap with certificates from files
/// (`static`), or Istio's `prometheus_stats` listener on :15090 in front of an admin API the
/// poller is not given (`statsOnly`).
enum RealEnvoyConfig {
    typealias JSON = [String: Any]

    static let listenerType = "type.googleapis.com/envoy.config.listener.v3.Listener"
    static let clusterType = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
    static let routeType = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
    static let secretType = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"

    /// Where a sidecar's certificates come from.
    enum Certificates {
        /// SDS secrets `default` and `ROOTCA`, each from its own file (file SDS takes one per file).
        case sds(defaultFile: String, rootFile: String)
        /// PEM files named in the TLS contexts (a static Envoy).
        case files(chain: String, key: String, root: String)
    }

    static func socket(_ host: String, _ port: Int) -> JSON { ["socket_address": ["address": host, "port_value": port]] }

    static func fileSource(_ path: String) -> JSON { ["path_config_source": ["path": path], "resource_api_version": "V3"] }

    static func commonTLS(_ certificates: Certificates, peerIdentity: String? = nil) -> JSON {
        var context: JSON
        var validation: JSON = [:]
        if let peerIdentity {
            validation["match_typed_subject_alt_names"] = [["san_type": "URI", "matcher": ["exact": peerIdentity]]]
        }
        switch certificates {
        case let .sds(defaultFile, rootFile):
            context = ["tls_certificate_sds_secret_configs": [["name": "default", "sds_config": fileSource(defaultFile)]]]
            context["combined_validation_context"] = ["default_validation_context": validation,
                                                      "validation_context_sds_secret_config": ["name": "ROOTCA", "sds_config": fileSource(rootFile)]]
        case let .files(chain, key, root):
            context = ["tls_certificates": [["certificate_chain": ["filename": chain], "private_key": ["filename": key]]]]
            validation["trusted_ca"] = ["filename": root]
            context["validation_context"] = validation
        }
        return context
    }

    static func router() -> JSON {
        ["name": "envoy.filters.http.router", "typed_config": ["@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"]]
    }

    static func connectionManager(prefix: String, routes: JSON) -> JSON {
        var manager: JSON = ["@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                             "stat_prefix": prefix, "http_filters": [router()]]
        for (key, value) in routes { manager[key] = value }
        return ["name": "envoy.filters.network.http_connection_manager", "typed_config": manager]
    }

    /// The inbound listener: mTLS (peers must present a mesh certificate) or plaintext (the
    /// edge workload, which the test's load generator calls), to `inbound|9080||`.
    static func inboundListener(host: String, mtls: Certificates?) -> JSON {
        let routes: JSON = ["route_config": ["name": "inbound|9080||", "virtual_hosts": [[
            "name": "inbound|http|9080", "domains": ["*"],
            "routes": [["name": "default", "match": ["prefix": "/"], "route": ["cluster": "inbound|9080||", "timeout": "0s"]]],
        ]]]]
        var chain: JSON = ["filters": [connectionManager(prefix: "inbound_0.0.0.0_9080", routes: routes)]]
        if let mtls {
            var tls = commonTLS(mtls)
            tls["alpn_protocols"] = ["http/1.1"]
            chain["transport_socket"] = ["name": "envoy.transport_sockets.tls", "typed_config": [
                "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
                "require_client_certificate": true, "common_tls_context": tls,
            ]]
        }
        return ["@type": listenerType, "name": "virtualInbound", "address": socket(host, 15006), "filter_chains": [chain]]
    }

    /// The outbound listener, routing by Host: `rds` names the route configuration's file
    /// (dynamic), else the routes are inline (static).
    static func outboundListener(host: String, routes: JSON, rdsFile: String?) -> JSON {
        var inline = routes
        inline["@type"] = nil
        let source: JSON = rdsFile.map { ["rds": ["route_config_name": "9080", "config_source": fileSource($0)]] } ?? ["route_config": inline]
        return ["@type": listenerType, "name": "virtualOutbound", "address": socket(host, 15001),
                "filter_chains": [["filters": [connectionManager(prefix: "outbound_0.0.0.0_9080", routes: source)]]]]
    }

    /// Istio's `prometheus_stats` listener: `/stats/prometheus…` to the admin API, 404 for the rest.
    static func prometheusListener(host: String) -> JSON {
        let routes: JSON = ["route_config": ["virtual_hosts": [[
            "name": "backend", "domains": ["*"],
            "routes": [["match": ["prefix": "/stats/prometheus"], "route": ["cluster": "prometheus_stats"]]],
        ]]]]
        return ["@type": listenerType, "name": "prometheus_stats", "address": socket(host, 15090),
                "filter_chains": [["filters": [connectionManager(prefix: "stats", routes: routes)]]]]
    }

    /// Route configuration `9080`: a virtual host per service; `reviews` split by weight.
    static func routes(_ services: [RealEnvoyMesh.ServiceRoute]) -> JSON {
        let hosts: [JSON] = services.map { service in
            let action: JSON
            if service.subsets.count > 1 {
                action = ["weighted_clusters": ["clusters": service.subsets.map { ["name": clusterName(service.name, subset: $0.subset), "weight": $0.weight] }],
                          "timeout": "0s"]
            } else {
                action = ["cluster": clusterName(service.name, subset: service.subsets.first?.subset ?? ""), "timeout": "0s"]
            }
            let fqdn = "\(service.name).default.svc.cluster.local"
            return ["name": "\(fqdn):9080", "domains": [fqdn, "\(fqdn):9080", service.name, "\(service.name):9080"],
                    "routes": [["name": "default", "match": ["prefix": "/"], "route": action]]]
        }
        return ["@type": routeType, "name": "9080", "virtual_hosts": hosts]
    }

    /// Istio's outbound cluster name: `outbound|9080|SUBSET|FQDN`.
    static func clusterName(_ service: String, subset: String) -> String { "outbound|9080|\(subset)|\(service).default.svc.cluster.local" }

    static func staticCluster(_ name: String, _ endpoints: [(String, Int)], tls: JSON? = nil) -> JSON {
        var cluster: JSON = ["@type": clusterType, "name": name, "type": "STATIC", "connect_timeout": "1s",
                             "load_assignment": ["cluster_name": name, "endpoints": [["lb_endpoints": endpoints.map { ["endpoint": ["address": socket($0.0, $0.1)]] }]]]]
        if let tls { cluster["transport_socket"] = ["name": "envoy.transport_sockets.tls", "typed_config": tls] }
        return cluster
    }

    /// An outbound cluster to the sidecars of one subset, over mTLS checked against their identity.
    static func outboundCluster(_ name: String, endpoints: [(String, Int)], certificates: Certificates, peerIdentity: String) -> JSON {
        var tls = commonTLS(certificates, peerIdentity: peerIdentity)
        tls["alpn_protocols"] = ["http/1.1"]
        return staticCluster(name, endpoints, tls: ["@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                                                    "common_tls_context": tls])
    }

    /// xDS versions the way istiod and the Istio agent write them (`<push time>/<push count>`), so a
    /// version's format on this Envoy's admin API is the one a real mesh shows.
    static let configVersion = "2026-12-02T00:00:00Z/7"
    static let secretVersion = "2026-12-02T01:32:28Z/1"

    static func sdsFile(_ secret: JSON) -> JSON { ["version_info": secretVersion, "resources": [secret]] }

    /// Secrets as the Istio agent's SDS sends them: PEM as base64 `inline_bytes`.
    static func inlineBytes(_ pem: String) -> JSON { ["inline_bytes": Data(pem.utf8).base64EncodedString()] }

    static func defaultSecret(chainPEM: String, keyPEM: String) -> JSON {
        ["@type": secretType, "name": "default",
         "tls_certificate": ["certificate_chain": inlineBytes(chainPEM), "private_key": inlineBytes(keyPEM)]]
    }

    static func rootSecret(_ rootPEM: String) -> JSON {
        ["@type": secretType, "name": "ROOTCA", "validation_context": ["trusted_ca": inlineBytes(rootPEM)]]
    }

    static func resources(_ items: [JSON]) -> JSON { ["version_info": configVersion, "resources": items] }

    static func write(_ value: Any, to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try data.write(to: URL(fileURLWithPath: path))
    }
}
