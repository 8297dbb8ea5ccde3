import Foundation
import Testing
@testable import MeshSim

@Suite("Topology")
struct TopologyTests {
    @Test("Bookinfo has the gateway, four services, reviews v1–v3, and ratings called only by reviews v2/v3")
    func bookinfo() throws {
        let topology = try SimTopology.bookinfo(seed: 1, adminBase: "127.0.1.1")
        #expect(topology.services.map(\.name) == ["istio-ingressgateway", "productpage", "details", "reviews", "ratings"])
        let reviews = topology.services[3]
        #expect(reviews.workloads.map { topology.workloads[$0].version } == ["v1", "v2", "v3"])
        let calls = topology.edges.map { "\(topology.services[$0.source].name)->\(topology.services[$0.destination].name)" }
        #expect(calls == ["istio-ingressgateway->productpage", "productpage->details", "productpage->reviews", "reviews->ratings"])
        #expect(topology.edges[3].sourceVersions == ["v2", "v3"])
        #expect(topology.proxies.count == 7)
        #expect(topology.proxies[0].type == "router")
        #expect(topology.proxies.map(\.adminHost).prefix(3) == ["127.0.1.1", "127.0.1.2", "127.0.1.3"])
        let weights = topology.routing.virtualService(for: reviews.index)?.subsetWeights
        #expect(weights == ["v1": 50, "v2": 30, "v3": 20])
    }

    @Test("A generated mesh is layered, connected, spread over namespaces, with 1–3 versions and replicas")
    func generated() throws {
        let topology = try SimTopology.generated(services: 300, seed: 7, adminBase: "127.0.1.1")
        let mesh = topology.services.filter { !$0.isGateway }
        #expect(mesh.count == 300)
        #expect(Set(mesh.map(\.namespace)).count >= 4)
        #expect(Set(mesh.map(\.name)).count == 300, "service names are unique")
        for service in mesh {
            #expect((1...3).contains(service.workloads.count))
            for workload in service.workloads { #expect((1...3).contains(topology.workloads[workload].proxies.count)) }
            #expect(topology.edges.contains { $0.destination == service.index }, "\(service.name) has a caller")
        }
        let fanOut = Dictionary(grouping: topology.edges.filter { !topology.services[$0.source].isGateway }, by: \.source).mapValues(\.count)
        #expect(fanOut.values.allSatisfy { (1...5).contains($0) }, "fan-out 1–5")
        let inDegree = Dictionary(grouping: topology.edges, by: \.destination).mapValues(\.count)
        #expect((inDegree.values.max() ?? 0) >= 8, "a few hub services have many callers")
        #expect(Set(topology.proxies.map(\.adminHost)).count == topology.proxies.count, "one loopback address per proxy")
        #expect(!topology.proxies.contains { $0.adminHost.hasSuffix(".0") || $0.adminHost.hasSuffix(".255") })
        #expect(!topology.routing.virtualServices.isEmpty && !topology.routing.destinationRules.isEmpty)
    }

    @Test("The same seed gives the same mesh; another seed a different one")
    func determinism() throws {
        let a = try SimTopology.generated(services: 50, seed: 3, adminBase: "127.0.1.1")
        let b = try SimTopology.generated(services: 50, seed: 3, adminBase: "127.0.1.1")
        let c = try SimTopology.generated(services: 50, seed: 4, adminBase: "127.0.1.1")
        #expect(a.proxies.map(\.id) == b.proxies.map(\.id))
        #expect(a.edges.map(\.rps) == b.edges.map(\.rps))
        #expect(a.proxies.map(\.id) != c.proxies.map(\.id))
    }

    @Test("Admin addresses must be loopback")
    func adminBaseValidation() {
        #expect(throws: SimError.self) { try SimTopology.bookinfo(seed: 1, adminBase: "10.0.0.1") }
    }
}

@Suite("Seeded randomness")
struct RandomTests {
    @Test("Multinomial draws sum to the total and follow the probabilities")
    func multinomial() {
        var random = SimRandom(seed: 9)
        var totals = [0, 0, 0]
        for _ in 0..<2000 {
            let draw = random.multinomial(total: 100, probabilities: [0.5, 0.3, 0.2])
            #expect(draw.reduce(0, +) == 100)
            for index in 0..<3 { totals[index] += draw[index] }
        }
        let shares = totals.map { Double($0) / 200_000 }
        #expect(abs(shares[0] - 0.5) < 0.01 && abs(shares[1] - 0.3) < 0.01 && abs(shares[2] - 0.2) < 0.01)
    }

    @Test("Poisson means match for small and large rates")
    func poisson() {
        var random = SimRandom(seed: 11)
        for mean in [0.3, 4.0, 250.0] {
            let average = (0..<5000).reduce(0.0) { total, _ in total + Double(random.poisson(mean: mean)) } / 5000
            #expect(abs(average - mean) / mean < 0.05, "mean \(mean) gave \(average)")
        }
    }

    @Test("Durations parse with units")
    func durations() throws {
        #expect(try Duration.seconds(parsing: "90") == 90)
        #expect(try Duration.seconds(parsing: "1h30m") == 5400)
        #expect(try Duration.seconds(parsing: "2d") == 172_800)
        #expect(throws: SimError.self) { try Duration.seconds(parsing: "5x") }
        #expect(throws: SimError.self) { try Duration.seconds(parsing: "5m3") }
    }
}
