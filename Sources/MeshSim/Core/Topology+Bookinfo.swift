extension SimTopology {
    /// Istio's Bookinfo: istio-ingressgateway → productpage → details, and reviews v1/v2/v3
    /// (v2 and v3 → ratings), with a VirtualService splitting reviews 50/30/20 over subsets.
    public static func bookinfo(seed: UInt64, adminBase: String) throws -> SimTopology {
        var builder = try TopologyBuilder(seed: seed, adminBase: adminBase)
        let gateway = builder.addService(
            name: "istio-ingressgateway", namespace: "istio-system", port: 80, versions: ["1.24.2"],
            replicas: [1], isGateway: true, externalRPS: 40)
        let productpage = builder.addService(name: "productpage", namespace: "default", versions: ["v1"], replicas: [1])
        let details = builder.addService(name: "details", namespace: "default", versions: ["v1"], replicas: [1])
        let reviews = builder.addService(name: "reviews", namespace: "default", versions: ["v1", "v2", "v3"], replicas: [1])
        let ratings = builder.addService(name: "ratings", namespace: "default", versions: ["v1"], replicas: [1])

        builder.addEdge(from: gateway, to: productpage, rps: 40, serverErrorRate: 0.001, medianMs: 38, sigma: 0.5)
        builder.addEdge(from: productpage, to: details, rps: 40, serverErrorRate: 0.001, medianMs: 4, sigma: 0.5)
        builder.addEdge(from: productpage, to: reviews, rps: 40, serverErrorRate: 0.003, medianMs: 14, sigma: 0.6)
        builder.addEdge(from: reviews, to: ratings, rps: 20, serverErrorRate: 0.001, medianMs: 3, sigma: 0.5,
                        sourceVersions: ["v2", "v3"])

        let retry = SimHTTPRoute(name: nil, uriMatches: [], destinations: [SimRouteDestination(subset: "v1", weight: 100)],
                                 timeout: "10s", retryAttempts: 3, perTryTimeout: "2s")
        let routing = RoutingConfig(
            revision: 1,
            virtualServices: [
                SimVirtualService(
                    name: "bookinfo", namespace: "default", service: productpage, hosts: ["*"],
                    gateways: ["bookinfo-gateway"],
                    routes: [SimHTTPRoute(
                        name: nil,
                        uriMatches: [("exact", "/productpage"), ("prefix", "/static"), ("exact", "/login"),
                                     ("exact", "/logout"), ("prefix", "/api/v1/products")],
                        destinations: [SimRouteDestination(subset: nil, weight: 100)],
                        timeout: nil, retryAttempts: nil, perTryTimeout: nil)],
                    resourceVersion: 1101),
                SimVirtualService(
                    name: "reviews", namespace: "default", service: reviews, hosts: ["reviews"], gateways: [],
                    routes: [SimHTTPRoute(
                        name: "reviews-split", uriMatches: [],
                        destinations: [SimRouteDestination(subset: "v1", weight: 50),
                                       SimRouteDestination(subset: "v2", weight: 30),
                                       SimRouteDestination(subset: "v3", weight: 20)],
                        timeout: nil, retryAttempts: nil, perTryTimeout: nil)],
                    resourceVersion: 1102),
                SimVirtualService(name: "ratings", namespace: "default", service: ratings, hosts: ["ratings"],
                                  gateways: [], routes: [retry], resourceVersion: 1103),
            ],
            destinationRules: [
                SimDestinationRule(name: "productpage", namespace: "default", service: productpage, subsets: ["v1"], loadBalancer: nil, resourceVersion: 1201),
                SimDestinationRule(name: "reviews", namespace: "default", service: reviews, subsets: ["v1", "v2", "v3"], loadBalancer: "LEAST_REQUEST", resourceVersion: 1202),
                SimDestinationRule(name: "ratings", namespace: "default", service: ratings, subsets: ["v1", "v2"], loadBalancer: nil, resourceVersion: 1203),
                SimDestinationRule(name: "details", namespace: "default", service: details, subsets: ["v1", "v2"], loadBalancer: nil, resourceVersion: 1204),
            ],
            gateways: ["bookinfo-gateway"])
        return SimTopology(services: builder.services, workloads: builder.workloads, proxies: builder.proxies,
                           edges: builder.edges, routing: routing, sidecarScopes: [:])
    }
}
