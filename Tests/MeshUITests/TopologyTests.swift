import Foundation
import MeshModel
import Testing
@testable import MeshUI

@Suite("Topology layout")
struct TopologyTests {
    static let bookinfo: [(source: String, destination: String)] = [
        ("istio-system/istio-ingressgateway", "default/productpage"), ("default/productpage", "default/details"),
        ("default/productpage", "default/reviews"), ("default/reviews", "default/ratings"),
    ]

    static func layerOf(_ layout: TopologyLayout) -> [String: Int] {
        var out: [String: Int] = [:]
        for (index, layer) in layout.layers.enumerated() { for slot in layer where !slot.isPlaceholder { out[slot.key] = index } }
        return out
    }

    @Test("Bookinfo: ingress on the left, one layer per call depth, no crossing")
    func bookinfo() {
        let layout = TopologyLayout.make(nodes: [], edges: Self.bookinfo)
        #expect(Self.layerOf(layout) == ["istio-system/istio-ingressgateway": 0, "default/productpage": 1, "default/details": 2,
                                         "default/reviews": 2, "default/ratings": 3])
        #expect(TopologyLayout.crossings(layout.layers.map { $0.map(\.key) }, down: Self.links(layout)) == 0)
    }

    @Test("Deterministic and stable: input order and unrelated nodes without traffic do not move anything")
    func stable() {
        let first = TopologyLayout.make(nodes: ["default/idle"], edges: Self.bookinfo)
        let shuffled = TopologyLayout.make(nodes: ["default/idle"], edges: Self.bookinfo.shuffled())
        #expect(first == shuffled)
        #expect(first.isolated == ["default/idle"])
        // Metrics are not an input: two snapshots differing only in numbers give one layout.
        var snapshot = MeshSnapshot(generatedAt: Date())
        snapshot.edges = Self.bookinfo.map { Edge(source: $0.source, destination: $0.destination, traffic: TrafficMetrics(rps: 1)) }
        let before = TopologyGraph.make(snapshot).layout
        snapshot.edges = snapshot.edges.map { var edge = $0; edge.traffic.rps = 99; edge.mtls = true; return edge }
        #expect(TopologyGraph.make(snapshot).layout == before)
    }

    @Test("Cycles are broken: every node placed, every edge routed between adjacent layers")
    func cycles() {
        let edges: [(source: String, destination: String)] = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("a", "d")]
        let layout = TopologyLayout.make(nodes: [], edges: edges)
        #expect(Set(Self.layerOf(layout).keys) == ["a", "b", "c", "d"])
        for route in layout.routes {
            for (from, to) in zip(route.path, route.path.dropFirst()) { #expect(to.layer == from.layer + 1) }
        }
        #expect(layout.routes.count == 5)
    }

    @Test("Crossings counted in O(E log V) equal the pairwise count")
    func crossingCount() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let sources = Int.random(in: 1...12, using: &generator), targets = Int.random(in: 1...12, using: &generator)
            let links = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                (Int.random(in: 0..<sources, using: &generator), Int.random(in: 0..<targets, using: &generator))
            }.sorted { $0 < $1 }
            var pairwise = 0
            for i in links.indices { for j in (i + 1)..<links.count where links[i].0 < links[j].0 && links[i].1 > links[j].1 { pairwise += 1 } }
            #expect(TopologyLayout.inversions(links, targets: targets) == pairwise, "\(links)")
        }
    }

    @Test("Crossing reduction untangles a graph whose name order crosses")
    func crossings() {
        // Name order puts a1 above a2 but their callees the other way round.
        let edges: [(source: String, destination: String)] = [("a1", "z2"), ("a2", "z1"), ("a1", "y2"), ("a2", "y1"), ("z1", "q"), ("z2", "r")]
        let layout = TopologyLayout.make(nodes: [], edges: edges)
        let initial = [["a1", "a2"], ["y1", "y2", "z1", "z2"], ["q", "r"]]
        let down = Self.links(layout)
        #expect(TopologyLayout.crossings(initial, down: down) > 0)
        #expect(TopologyLayout.crossings(layout.layers.map { $0.map(\.key) }, down: down) == 0)
    }

    @Test("Focus keeps the 2-hop neighbourhood; the namespace filter keeps matching services")
    func focusAndFilter() {
        var snapshot = MeshSnapshot(generatedAt: Date())
        snapshot.edges = Self.bookinfo.map { Edge(source: $0.source, destination: $0.destination) }
        #expect(TopologyGraph.make(snapshot, focus: "default/ratings").nodes == ["default/productpage", "default/ratings", "default/reviews"])
        #expect(TopologyGraph.make(snapshot, focus: "default/ratings", hops: 1).nodes == ["default/ratings", "default/reviews"])
        #expect(TopologyGraph.make(snapshot, filter: "default/").edges.count == 3)
    }

    @Test("The text drawing (snapshot -o text --section topology) shows boxes, labels and arrows")
    func text() {
        var snapshot = MeshSnapshot(generatedAt: Date())
        snapshot.edges = Self.bookinfo.map { Edge(source: $0.source, destination: $0.destination, mtls: true,
                                                  traffic: TrafficMetrics(rps: 40, serverErrorRate: 0.01, latencyMs: LatencyQuantiles(p99: 63))) }
        let text = TopologyText.render(snapshot)
        #expect(text.hasPrefix("5 services, 4 edges"))
        #expect(text.contains("◆40.0rps 1.0% 63ms"))
        #expect(text.components(separatedBy: "▶").count - 1 == 4)
        let ascii = TopologyText.render(snapshot, ascii: true)
        #expect(ascii.contains("*40.0rps 1.0% 63ms") && !ascii.contains("─"))
        // Too wide to draw: the adjacency list, every edge once.
        let list = TopologyText.render(snapshot, maxWidth: 40)
        #expect(list.contains("CALLER") && list.contains("→ default/ratings"))
    }

    /// Adjacent-layer links of a layout's routes (for counting crossings).
    static func links(_ layout: TopologyLayout) -> [String: [String]] {
        var down: [String: [String]] = [:]
        for route in layout.routes {
            for (from, to) in zip(route.path, route.path.dropFirst()) {
                down[layout.layers[from.layer][from.index].key, default: []].append(layout.layers[to.layer][to.index].key)
            }
        }
        return down
    }
}
