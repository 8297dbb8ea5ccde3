import Foundation
import MeshTestSupport
import Testing
@testable import MeshSim

/// The simulator's output must have the structure of the real thing: for every endpoint with a
/// captured sample in ../shared/fixtures, every path the simulator emits exists in the real
/// sample with the same JSON type, unless mesh-apis.md documents it as a field of the newer
/// release we simulate (Istio 1.24 / Envoy 1.32); and the core paths of the sample are present.
@Suite("Fidelity to real outputs", .cpuHeavy, .enabled(if: Fixtures.available, "../shared/fixtures is absent: fidelity tests skipped"))
struct FidelityTests {
    static func state() throws -> SimulatorState {
        var state = try SimHarness.state { $0.errorProxies = 1 }
        state.advance(to: SimHarness.at(60))
        return state
    }

    static func check(_ simulated: Any, against fixtures: [String], snakeCase: Bool = false, documented: [String] = [],
                      required: [String] = []) throws {
        let real = JSONShape(try fixtures.map { try Fixtures.json($0) }, snakeCase: snakeCase)
        let sim = JSONShape([simulated])
        let invented = sim.inventedPaths(comparedTo: real, documented: documented)
        #expect(invented.isEmpty, "paths not in \(fixtures.first!): \(invented)")
        let missing = required.filter { sim.paths[$0] == nil }
        #expect(missing.isEmpty, "required paths missing: \(missing)")
    }

    @Test("/debug/syncz has the shape of istiod's (kiali registry-syncz.json)")
    func syncz() throws {
        let state = try Self.state()
        try Self.check(try SimHarness.json(IstiodRenderer.syncz(state, namespace: nil)),
                       against: ["kiali/tests/data/registry/registry-syncz.json"],
                       documented: ["$[].proxy_type", "$[].resources", "$[].extensionconfig_sent", "$[].extensionconfig_acked"],
                       required: ["$[].cluster_id", "$[].proxy", "$[].istio_version", "$[].cluster_sent", "$[].cluster_acked",
                                  "$[].listener_sent", "$[].route_sent", "$[].endpoint_acked"])
    }

    @Test("/debug/registryz has the shape of istiod's")
    func registryz() throws {
        let state = try Self.state()
        try Self.check(try SimHarness.json(IstiodRenderer.registryz(state)),
                       against: ["kiali/tests/data/registry/registry-registryz.json", "kiali/tests/data/registry/services-registryz.json"],
                       documented: ["$[].serviceAccounts"],
                       required: ["$[].Attributes.Name", "$[].Attributes.Namespace", "$[].hostname", "$[].ports[].protocol",
                                  "$[].clusterVIPs.Addresses.*[]", "$[].Resolution", "$[].MeshExternal", "$[].ResourceVersion"])
    }

    @Test("/debug/configz has the shape of istiod's VirtualServices, DestinationRules, Gateways and Sidecars")
    func configz() throws {
        let state = try Self.state()
        try Self.check(try SimHarness.json(ConfigRenderer.configz(state)),
                       against: ["kiali/tests/data/registry/registry-configz.json", "kiali/tests/data/registry/services-configz.json"],
                       documented: ["$[].spec.http[].name", "$[].spec.http[].retries", "$[].spec.http[].timeout",
                                    "$[].spec.trafficPolicy", "$[].spec.mtls"],
                       required: ["$[].kind", "$[].apiVersion", "$[].metadata.name", "$[].spec.hosts[]", "$[].spec.http[].route[].destination.host",
                                  "$[].spec.http[].route[].weight", "$[].spec.subsets[].name", "$[].spec.host"])
        let generated = try SimHarness.state { $0.services = 30 }
        try Self.check(try SimHarness.json(ConfigRenderer.configz(generated)),
                       against: ["kiali/tests/data/registry/registry-configz.json"],
                       documented: ["$[].spec.http[].name", "$[].spec.http[].retries", "$[].spec.http[].timeout",
                                    "$[].spec.trafficPolicy", "$[].spec.mtls"],
                       required: ["$[].spec.egress[].hosts[]"])
    }

    static let configDumpFixtures = [
        "istio/istioctl/pkg/writer/compare/testdata/configdump.json",
        "istio/istioctl/pkg/proxyconfig/testdata/config_dump.json",
        "istio/istioctl/pkg/describe/testdata/describe/http_config.json",
        "istio/istioctl/pkg/describe/testdata/describe/tls_config.json",
        "istio/istioctl/pkg/writer/envoy/configdump/testdata/secret/istio/config_dump.json",
        "istio/istioctl/pkg/writer/envoy/configdump/testdata/endpoint/configdump.json",
        "istio/_at-285c0509f9f4/istioctl/cmd/testdata/describe/productpage-v1-7bbd79f8fd-k6j79.json",
        "istio/_at-285c0509f9f4/istioctl/cmd/testdata/describe/ratings-v1-f745cf57b-vfwcv.json",
        "istio/_at-285c0509f9f4/istioctl/cmd/testdata/describe/istio-ingressgateway-5bf6c9887-vvvmj.json",
        // A real Envoy 1.40's dump (file xDS and SDS): the node fields and secret versions 1.40 writes.
        "envoy-1.40/frontend/config_dump.json",
    ]

    /// Fields of Envoy ≥ 1.2x / Istio ≥ 1.2x configs that the (older) samples predate; each is in
    /// Envoy's v3 protos and mesh-apis.md §2.5.
    static let newerConfigDumpFields = [
        "$.configs[].bootstrap.node.user_agent_build_version", "$.configs[].bootstrap.node.user_agent_name",
        "$.configs[].bootstrap.node.extensions", "$.configs[].bootstrap.node.client_features",
        "$.configs[].bootstrap.node.locality", "$.configs[].bootstrap.admin.profile_path",
        // Istio node metadata keys (mesh-apis.md §1.2 NodeMetadata) newer than the 1.5-era sample.
        "$.configs[].bootstrap.node.metadata.MESH_ID", "$.configs[].bootstrap.node.metadata.NODE_NAME",
        "$.configs[].bootstrap.dynamic_resources", "$.configs[].bootstrap.static_resources.clusters[].@type",
        "$.configs[].bootstrap.static_resources.clusters[].load_assignment",
        "$.configs[].dynamic_active_clusters[].cluster.alt_stat_name",
        "$.configs[].dynamic_active_clusters[].version_info", "$.configs[].dynamic_active_clusters[].error_state",
        "$.configs[].dynamic_active_clusters[].client_status",
        "$.configs[].dynamic_active_clusters[].cluster.upstream_bind_config",
        "$.configs[].dynamic_endpoint_configs[].endpoint_config.endpoints[].locality",
        "$.configs[].dynamic_listeners[].active_state.version_info",
        "$.configs[].dynamic_listeners[].active_state.listener.filter_chains[].filters[].typed_config.rds.config_source.resource_api_version",
        "$.configs[].dynamic_route_configs[].route_config.virtual_hosts[].routes[].route.retry_policy.per_try_timeout",
        "$.configs[].dynamic_route_configs[].route_config.virtual_hosts[].routes[].route.weighted_clusters",
    ]

    @Test("/config_dump has the shape and @type URLs of real Istio sidecar dumps")
    func configDump() throws {
        let state = try Self.state()
        let real = JSONShape(try Self.configDumpFixtures.map { try Fixtures.json($0) })
        for proxy in state.topology.proxies {
            let dump = try SimHarness.json(try ConfigDumpRenderer.render(SimHarness.context(state, proxy: proxy.index, at: 60), query: ["include_eds": ""]))
            let sim = JSONShape([dump])
            let invented = sim.inventedPaths(comparedTo: real, documented: Self.newerConfigDumpFields)
            #expect(invented.isEmpty, "\(proxy.id): \(invented)")
            #expect(sim.typeURLs.subtracting(real.typeURLs).isEmpty, "@type URLs not seen in real dumps: \(sim.typeURLs.subtracting(real.typeURLs))")
            for type in ["BootstrapConfigDump", "ClustersConfigDump", "ListenersConfigDump", "RoutesConfigDump", "SecretsConfigDump", "EndpointsConfigDump"] {
                #expect(sim.typeURLs.contains("type.googleapis.com/envoy.admin.v3.\(type)"))
            }
        }
    }

    @Test("?resource= and ?mask= shape the dump like Envoy: one Any per element, only masked fields")
    func resourceAndMask() throws {
        let state = try Self.state()
        let context = SimHarness.context(state, proxy: 1, at: 60)
        let masked = try SimHarness.json(try ConfigDumpRenderer.render(context, query: ["resource": "dynamic_active_clusters", "mask": "cluster.name"])) as! [String: Any]
        let configs = masked["configs"] as! [[String: Any]]
        #expect(configs.count == context.outboundClusters.count + 1)
        for element in configs {
            #expect(element["@type"] as? String == "type.googleapis.com/envoy.admin.v3.ClustersConfigDump.DynamicCluster")
            #expect(Set((element["cluster"] as! [String: Any]).keys) == ["@type", "name"])
            #expect(element.keys.count == 2)
        }
        let secrets = try SimHarness.json(try ConfigDumpRenderer.render(context, query: ["resource": "dynamic_active_secrets"])) as! [String: Any]
        #expect((secrets["configs"] as! [[String: Any]]).map { $0["name"] as! String } == ["default", "ROOTCA"])
        let regex = try SimHarness.json(try ConfigDumpRenderer.render(context, query: ["resource": "dynamic_active_clusters", "name_regex": ".*reviews.*"])) as! [String: Any]
        #expect((regex["configs"] as! [[String: Any]]).count == 4, "reviews: default cluster + v1/v2/v3 subsets")
        #expect(throws: ConfigDumpRenderer.Failure.self) { try ConfigDumpRenderer.render(context, query: ["resource": "no_such_field"]) }
        // The masked real fixture (istioctl's routes testdata) uses the same element type names.
        let real = JSONShape([try Fixtures.json("istio/istioctl/pkg/writer/envoy/configdump/testdata/routes/empty-gateway/configdump.json")])
        #expect(!real.typeURLs.isEmpty)
    }

    @Test("Secrets and /server_info read the same without the cluster tables, as the router serves them; the full dump has the same secrets")
    func secretsWithoutTables() throws {
        let state = try Self.state()
        let derived = SimHarness.context(state, proxy: 1, at: 60)
        let bare = ProxyContext(state: state, proxy: 1, now: SimHarness.at(60), derive: false)
        #expect(bare.clusterNames.isEmpty && !derived.clusterNames.isEmpty)
        let query = ["resource": "dynamic_active_secrets"]
        let fast = JSONWriter.write(try ConfigDumpRenderer.render(bare, query: query), pretty: false)
        #expect(fast == JSONWriter.write(try ConfigDumpRenderer.render(derived, query: query), pretty: false))
        #expect(JSONWriter.write(EnvoyAdminRenderer.serverInfo(bare), pretty: false) == JSONWriter.write(EnvoyAdminRenderer.serverInfo(derived), pretty: false))
        // The secrets as the whole dump carries them.
        let full = try SimHarness.json(try ConfigDumpRenderer.render(derived, query: [:])) as! [String: Any]
        let dump = (full["configs"] as! [[String: Any]]).first { ($0["@type"] as? String)?.hasSuffix("SecretsConfigDump") == true }
        let names = (dump?["dynamic_active_secrets"] as? [[String: Any]])?.map { $0["name"] as! String }
        #expect(names == ["default", "ROOTCA"])
        let selected = try SimHarness.json(try ConfigDumpRenderer.render(bare, query: query)) as! [String: Any]
        #expect((selected["configs"] as! [[String: Any]]).map { $0["name"] as! String } == names)
    }

    @Test("/clusters?format=json has the shape of Envoy's (istioctl's clusters.json, camelCase normalised)")
    func clusters() throws {
        let state = try Self.state()
        try Self.check(try SimHarness.json(EnvoyAdminRenderer.clusters(SimHarness.context(state, proxy: 1, at: 60))),
                       against: ["istio/_at-285c0509f9f4/istioctl/pkg/writer/envoy/clusters/testdata/clusters.json"], snakeCase: true,
                       documented: ["$.cluster_statuses[].circuit_breakers", "$.cluster_statuses[].eds_service_name",
                                    "$.cluster_statuses[].observability_name", "$.cluster_statuses[].host_statuses[].locality"],
                       required: ["$.cluster_statuses[].name", "$.cluster_statuses[].added_via_api",
                                  "$.cluster_statuses[].host_statuses[].address.socket_address.port_value",
                                  "$.cluster_statuses[].host_statuses[].stats[].name", "$.cluster_statuses[].host_statuses[].stats[].value",
                                  "$.cluster_statuses[].host_statuses[].stats[].type",
                                  "$.cluster_statuses[].host_statuses[].health_status.eds_health_status"])
    }

    @Test("/server_info has Envoy's fields, and its node matches the bootstrap node of real dumps")
    func serverInfo() throws {
        let state = try Self.state()
        let info = try SimHarness.json(EnvoyAdminRenderer.serverInfo(SimHarness.context(state, proxy: 1, at: 60))) as! [String: Any]
        let real = try Fixtures.json("integrations-core/envoy/tests/fixtures/server_info") as! [String: Any]
        for key in real.keys { #expect(JSONShape.typeName(info[key] as Any) == JSONShape.typeName(real[key]!), "\(key)") }
        let version = (info["version"] as! String).split(separator: "/")
        #expect(version.count == 5 && version[0].count == 40 && version[3] == "RELEASE")
        let node = JSONShape([info["node"]!])
        let bootstrapNode = JSONShape([(try Fixtures.json("istio/istioctl/pkg/writer/envoy/configdump/testdata/bootstrapdump.json") as! [String: Any])["bootstrap"].map { ($0 as! [String: Any])["node"]! }!], snakeCase: true)
        // `listening_addresses` and `dynamic_parameters` are the running node's (a real Envoy 1.40's
        // /server_info has them, its bootstrap does not: envoy-1.40/frontend).
        #expect(node.inventedPaths(comparedTo: bootstrapNode, documented: ["$.id", "$.cluster", "$.locality", "$.user_agent_name", "$.extensions", "$.client_features", "$.metadata",
                                                                            "$.listening_addresses", "$.dynamic_parameters"]).isEmpty)
        #expect(info["uptime_current_epoch"] is String && (info["command_line_options"] as! [String: Any])["base_id"] is String)
    }
}
