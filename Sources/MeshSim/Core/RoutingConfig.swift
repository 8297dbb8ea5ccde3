/// A weighted destination of a simulated VirtualService route.
public struct SimRouteDestination: Sendable, Equatable {
    public var subset: String?
    public var weight: Int
}

/// One HTTP route of a simulated VirtualService.
public struct SimHTTPRoute: Sendable, Equatable {
    public var name: String?
    /// URI matches as (kind, value): ("prefix", "/api"), ("exact", "/productpage").
    public var uriMatches: [(String, String)]
    public var destinations: [SimRouteDestination]
    public var timeout: String?
    public var retryAttempts: Int?
    public var perTryTimeout: String?

    public static func == (lhs: SimHTTPRoute, rhs: SimHTTPRoute) -> Bool {
        lhs.name == rhs.name && lhs.destinations == rhs.destinations && lhs.timeout == rhs.timeout
            && lhs.retryAttempts == rhs.retryAttempts && lhs.perTryTimeout == rhs.perTryTimeout
            && lhs.uriMatches.map { $0.0 + $0.1 } == rhs.uriMatches.map { $0.0 + $0.1 }
    }
}

/// A simulated VirtualService: routes traffic for one mesh service (or, with `gateways`, the
/// traffic entering through a gateway).
public struct SimVirtualService: Sendable, Equatable {
    public var name: String
    public var namespace: String
    /// The service whose traffic this routes.
    public var service: Int
    /// Hosts as written in the spec (`reviews`, or `*` on a gateway route).
    public var hosts: [String]
    public var gateways: [String]
    public var routes: [SimHTTPRoute]
    public var resourceVersion: Int

    /// The weight per subset of the default (last) route; nil when it has no subsets.
    public var subsetWeights: [String: Int]? {
        guard let route = routes.last, route.destinations.contains(where: { $0.subset != nil }) else { return nil }
        var weights: [String: Int] = [:]
        for destination in route.destinations { weights[destination.subset ?? "", default: 0] += destination.weight }
        return weights
    }
}

/// A simulated DestinationRule with one subset per version.
public struct SimDestinationRule: Sendable, Equatable {
    public var name: String
    public var namespace: String
    public var service: Int
    public var subsets: [String]
    public var loadBalancer: String?
    public var resourceVersion: Int
}

/// Routing configuration at one revision. A scenario's weight change creates a new revision;
/// stale proxies keep the revision they last acknowledged.
public struct RoutingConfig: Sendable, Equatable {
    public var revision: Int
    public var virtualServices: [SimVirtualService]
    public var destinationRules: [SimDestinationRule]
    /// Gateway objects: (name, namespace, selector app).
    public var gateways: [String]

    /// The mesh-internal VirtualService for a service (not a gateway-bound one).
    public func virtualService(for service: Int) -> SimVirtualService? {
        virtualServices.first { $0.service == service && $0.gateways.isEmpty }
    }

    public func destinationRule(for service: Int) -> SimDestinationRule? {
        destinationRules.first { $0.service == service }
    }
}
