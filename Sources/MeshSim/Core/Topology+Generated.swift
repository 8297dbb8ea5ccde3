import Foundation

extension SimTopology {
    static let generatedNamespaces = ["shop", "payments", "identity", "catalog", "delivery", "media", "analytics", "support"]
    static let nameStems = [
        "frontend", "cart", "checkout", "payment", "currency", "shipping", "email", "recommendation", "ad",
        "catalog", "inventory", "orders", "users", "auth", "search", "pricing", "billing", "ledger",
        "notification", "fulfillment", "profile", "session", "media", "reporting", "review", "rating",
        "wishlist", "coupon", "tax", "fraud", "loyalty", "geo", "address", "warehouse", "courier",
        "tracking", "invoice", "refund", "subscription", "feature-flags", "config", "audit", "token",
        "image", "thumbnail", "video", "upload", "export", "metrics", "events", "feed", "chat", "ticket",
    ]
    static let nameSuffixes = ["", "-api", "-svc", "-worker", "-gateway", "-store", "-engine", "-query", "-sync", "-cache"]

    /// A generated mesh of `count` services: an ingress gateway in front of a layered call graph
    /// (fan-out 1–5 towards deeper layers, a few hub services that many callers share), spread
    /// over several namespaces, 1–3 versions per service and 1–3 replicas per version. Namespaces
    /// carry a `Sidecar` scope (own namespace, callee namespaces, istio-system), as large meshes do.
    public static func generated(services count: Int, seed: UInt64, adminBase: String) throws -> SimTopology {
        guard count >= 2 else { throw SimError.invalidOption("--services needs at least 2 services") }
        var builder = try TopologyBuilder(seed: seed, adminBase: adminBase)
        var random = SimRandom(seed: seed ^ 0xA5A5_5A5A)
        let namespaceCount = max(2, min(generatedNamespaces.count, count / 40 + 2))
        let namespaces = Array(generatedNamespaces.prefix(namespaceCount))
        let layerCount = max(2, min(7, Int(log2(Double(count))) - 1))

        let gateway = builder.addService(
            name: "istio-ingressgateway", namespace: "istio-system", port: 80, versions: ["1.24.2"],
            replicas: [count > 100 ? 3 : 1], isGateway: true, externalRPS: Double(min(2000, 20 + count * 2)))

        // Layer sizes grow then shrink a little: few frontends, many mid-tier services, hubs deep down.
        var layerOf: [Int] = []
        var names = Set<String>()
        var mesh: [Int] = []
        for position in 0..<count {
            let layer = position < max(1, count / 20) ? 1 : 1 + Int(Double(layerCount - 1) * pow(random.unit(), 0.8)) + (position % 3 == 0 ? 1 : 0)
            var name = ""
            repeat {
                let stem = random.pick(nameStems)
                let suffix = names.count < nameStems.count ? random.pick(["", "", "-api"]) : random.pick(nameSuffixes)
                name = stem + suffix
                if names.contains(name) { name += "-\(random.int(in: 2...99))" }
            } while names.contains(name)
            names.insert(name)
            let versionCount = random.unit() < 0.6 ? 1 : (random.unit() < 0.6 ? 2 : 3)
            let versions = (1...versionCount).map { "v\($0)" }
            let replicas = versions.map { _ in random.int(in: 1...3) }
            let namespace = namespaces[(position * 7 + random.int(in: 0...1)) % namespaces.count]
            let port = random.pick([8080, 9080, 8080, 3000, 5000])
            let index = builder.addService(name: name, namespace: namespace, port: port, versions: versions,
                                           replicas: replicas, serviceAccount: name)
            mesh.append(index)
            layerOf.append(min(layer, layerCount))
        }

        // Hubs: a few deep services that many callers share (auth, users, config …).
        let hubCount = max(1, count / 30)
        let deepest = mesh.indices.filter { layerOf[$0] >= layerCount - 1 }
        var hubs = Array(deepest.prefix(hubCount))
        if hubs.isEmpty { hubs = [mesh.count - 1] }

        var inboundRPS = [Double](repeating: 0, count: mesh.count)
        let frontends = mesh.indices.filter { layerOf[$0] == 1 }
        let entry = Double(min(2000, 20 + count * 2))
        for position in frontends {
            let rps = entry / Double(frontends.count)
            builder.addEdge(from: gateway, to: mesh[position], rps: rps, serverErrorRate: 0.001,
                            medianMs: 20 + random.unit() * 40, sigma: 0.5)
            inboundRPS[position] += rps
        }
        var hasCaller = Set(frontends)
        for layer in 1...layerCount {
            for position in mesh.indices where layerOf[position] == layer {
                let deeper = mesh.indices.filter { layerOf[$0] > layer && !hubs.contains($0) }
                let fanOut = deeper.isEmpty && layer == layerCount ? 0 : random.int(in: 1...5)
                var callees = Set<Int>()
                for _ in 0..<fanOut {
                    let wantsHub = random.unit() < 0.35 && hubs.contains { layerOf[$0] > layer }
                    if wantsHub, let hub = hubs.filter({ layerOf[$0] > layer }).randomElement(using: &random) {
                        callees.insert(hub)
                    } else if !deeper.isEmpty {
                        // Prefer services that nobody calls yet, so the graph stays connected.
                        let orphans = deeper.filter { !hasCaller.contains($0) }
                        callees.insert(orphans.isEmpty ? random.pick(deeper) : random.pick(orphans))
                    }
                }
                let baseRPS = max(inboundRPS[position], 0.5)
                for callee in callees.sorted() {
                    let rps = min(5000, baseRPS * (0.3 + random.unit() * 1.2))
                    builder.addEdge(from: mesh[position], to: mesh[callee], rps: rps,
                                    serverErrorRate: random.unit() < 0.1 ? 0.01 : 0.001 + random.unit() * 0.003,
                                    clientErrorRate: random.unit() * 0.004,
                                    medianMs: 1 + random.unit() * random.unit() * 80, sigma: 0.4 + random.unit() * 0.5)
                    inboundRPS[callee] += rps
                    hasCaller.insert(callee)
                }
            }
        }
        // Anything still without a caller hangs off a shallower service that still has room for
        // another callee (fan-out stays within 1–5), or off the gateway.
        var outDegree: [Int: Int] = [:]
        for edge in builder.edges { outDegree[edge.source, default: 0] += 1 }
        for position in mesh.indices where !hasCaller.contains(position) {
            let callers = mesh.indices.filter { layerOf[$0] < layerOf[position] && outDegree[mesh[$0], default: 0] < 5 }
            let caller = callers.isEmpty ? nil : random.pick(callers)
            let rps = max(0.5, (caller.map { inboundRPS[$0] } ?? entry) * 0.2)
            let source = caller.map { mesh[$0] } ?? gateway
            builder.addEdge(from: source, to: mesh[position], rps: rps, medianMs: 2 + random.unit() * 30)
            outDegree[source, default: 0] += 1
            inboundRPS[position] += rps
        }

        let routing = generatedRouting(builder: builder, random: &random)
        var scopes: [String: Set<Int>] = [:]
        for service in builder.services where !service.isGateway {
            var scope = scopes[service.namespace] ?? Set(builder.services.filter {
                $0.namespace == service.namespace || $0.namespace == "istio-system"
            }.map(\.index))
            for edge in builder.edges where edge.source == service.index { scope.insert(edge.destination) }
            scopes[service.namespace] = scope
        }
        return SimTopology(services: builder.services, workloads: builder.workloads, proxies: builder.proxies,
                           edges: builder.edges, routing: routing, sidecarScopes: scopes)
    }

    /// DestinationRules with subsets for multi-version services, and a weighted (canary style)
    /// VirtualService for about half of them.
    private static func generatedRouting(builder: TopologyBuilder, random: inout SimRandom) -> RoutingConfig {
        var virtualServices: [SimVirtualService] = []
        var destinationRules: [SimDestinationRule] = []
        var resourceVersion = 20_000
        for service in builder.services where !service.isGateway && service.workloads.count > 1 {
            let versions = service.workloads.map { builder.workloads[$0].version }
            resourceVersion += 1
            destinationRules.append(SimDestinationRule(
                name: service.name, namespace: service.namespace, service: service.index, subsets: versions,
                loadBalancer: random.unit() < 0.3 ? "LEAST_REQUEST" : nil, resourceVersion: resourceVersion))
            guard random.unit() < 0.5 else { continue }
            let weights: [Int] = versions.count == 2 ? random.pick([[90, 10], [80, 20], [50, 50]]) : random.pick([[80, 10, 10], [60, 30, 10], [34, 33, 33]])
            resourceVersion += 1
            virtualServices.append(SimVirtualService(
                name: service.name, namespace: service.namespace, service: service.index, hosts: [service.name],
                gateways: [],
                routes: [SimHTTPRoute(name: "\(service.name)-canary", uriMatches: [],
                                      destinations: zip(versions, weights).map { SimRouteDestination(subset: $0, weight: $1) },
                                      timeout: random.unit() < 0.3 ? "5s" : nil,
                                      retryAttempts: random.unit() < 0.3 ? 2 : nil, perTryTimeout: nil)],
                resourceVersion: resourceVersion))
        }
        return RoutingConfig(revision: 1, virtualServices: virtualServices, destinationRules: destinationRules, gateways: [])
    }
}
