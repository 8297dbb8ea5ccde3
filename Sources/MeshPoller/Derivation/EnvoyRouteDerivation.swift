import MeshModel
import MeshSources

/// Routes of a mesh without istiod (plain Envoy, Kuma, Consul, Envoy Gateway): each Envoy's own
/// route configurations (RDS and static), a row per route that sends to a service, with the
/// weights Envoy was given; the deriver puts the observed shares beside them as it does for
/// VirtualServices. The same virtual host on several Envoys of a namespace is one set of rows.
enum EnvoyRouteDerivation {
    static func routes(_ round: PollRound) -> [RouteRule] {
        var seen = Set<String>()
        var out: [RouteRule] = []
        for (_, observation) in round.proxies.sorted(by: { $0.key < $1.key }) where observation.kind.isEnvoy && observation.kind != .istioEnvoy {
            // A plain Envoy with Istio's cluster names reads them as Istio does.
            let naming = observation.kind == .envoy ? MeshKind.istioEnvoy : observation.kind
            let namespace = observation.target.namespace
            for table in observation.routeTables {
                for host in table.virtualHosts where seen.insert("\(namespace)/\(table.name)/\(host.name)").inserted {
                    out += host.routes.enumerated().compactMap { index, route in
                        rule(route, index: index, host: host, namespace: namespace, naming: naming)
                    }
                }
            }
        }
        return out
    }

    static func rule(_ route: ConfigDump.Route, index: Int, host: ConfigDump.VirtualHost, namespace: String, naming: MeshKind) -> RouteRule? {
        let destinations = route.clusters.compactMap { cluster -> WeightedDestination? in
            guard let destination = EnvoyClusterNames.destination(cluster.name, flavour: naming) else { return nil }
            return WeightedDestination(host: destination.host, subset: destination.version == "unknown" ? nil : destination.version,
                                       weight: route.clusters.count > 1 ? cluster.weight : nil)
        }
        guard !destinations.isEmpty else { return nil }
        return RouteRule(virtualService: host.name, namespace: namespace, hosts: host.domains, index: index, name: route.name,
                         matches: route.match == "prefix /" ? [] : [route.match], destinations: destinations, timeout: route.timeout,
                         retries: route.retries.map { RetryPolicy(attempts: $0) })
    }
}
