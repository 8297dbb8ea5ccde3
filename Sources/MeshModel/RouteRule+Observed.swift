extension RouteRule {
    /// Fully qualified host of a VirtualService host or destination written short (`reviews`,
    /// `reviews.default`), as Istio resolves it in the rule's namespace.
    public static func fqdn(_ host: String, namespace: String) -> String {
        if host.contains("*") || host.hasSuffix(".local") || host.split(separator: ".").count > 2 { return host }
        if host.contains(".") { return host + ".svc.cluster.local" }
        return "\(host).\(namespace).svc.cluster.local"
    }

    /// The route with the observed traffic share next to each weighted destination: the share
    /// of the destination service's inbound requests that reached each subset's version.
    public func withObservedShares(edges: [Edge], policies: [DestinationPolicy]) -> RouteRule {
        var route = self
        let host = Self.fqdn(route.destinations.first?.host ?? "", namespace: route.namespace)
        let labels = host.split(separator: ".")
        let serviceKey = labels.count >= 2 ? "\(labels[1])/\(labels[0])" : host
        let inbound = edges.filter { $0.destination == serviceKey }
        let total = inbound.reduce(0.0) { $0 + $1.traffic.rps }
        guard total > 0 else { return route }
        var byVersion: [String: Double] = [:]
        for edge in inbound { for (version, share) in edge.versionShare { byVersion[version, default: 0] += share * edge.traffic.rps } }
        for index in route.destinations.indices {
            guard let subset = route.destinations[index].subset else { continue }
            let version = policies.first { $0.host == host }?.subsets.first { $0.name == subset }?.labels["version"] ?? subset
            route.destinations[index].observedShare = (byVersion[version] ?? 0) / total
        }
        return route
    }

    /// The route without observed shares: its configured part only.
    public var configured: RouteRule {
        var route = self
        for index in route.destinations.indices { route.destinations[index].observedShare = nil }
        return route
    }
}
