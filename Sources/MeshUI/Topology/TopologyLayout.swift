import MeshModel

/// A layered (Sugiyama-style) layout of the service graph: callers left of callees, layers by
/// call depth, long edges routed through placeholder slots, orderings within layers improved by
/// barycenter sweeps. It depends only on the graph's structure (nodes and edges, never metrics),
/// and every tie is broken by name, so the same mesh always gets the same picture and nodes do
/// not move when only numbers change.
public struct TopologyLayout: Sendable, Equatable {
    /// A slot in a layer: a service, or a placeholder a long edge passes through.
    public struct Slot: Sendable, Equatable {
        public var key: String
        public var isPlaceholder: Bool
        /// Top row and height in cells (placeholders are one row).
        public var y: Int
        public var height: Int
    }

    /// An edge between two services, as the chain of slots it passes through.
    public struct Route: Sendable, Equatable {
        public var source: String
        public var destination: String
        /// (layer, slot index) from the source's layer to the destination's.
        public var path: [(layer: Int, index: Int)]

        public static func == (a: Route, b: Route) -> Bool {
            a.source == b.source && a.destination == b.destination && a.path.elementsEqual(b.path, by: { $0 == $1 })
        }
    }

    public var layers: [[Slot]]
    public var routes: [Route]
    /// Column of each layer's boxes, and the width of a box.
    public var boxWidth: Int
    public var gapWidth: Int
    public var width: Int
    public var height: Int
    /// Services with no traffic edge (not drawn; counted in the header).
    public var isolated: [String]

    /// Rows a service box needs: borders, its name and metrics, and one row per edge port.
    static func boxHeight(inbound: Int, outbound: Int) -> Int { max(4, max(inbound, outbound) + 2) }

    /// Room for an edge label (`◆40.5rps 0.0% 64ms`) before the edge's channel in a gap.
    public static let labelWidth = 20

    public static func make(nodes: [String], edges: [(source: String, destination: String)], boxWidth: Int = 20) -> TopologyLayout {
        let edgeList = Array(Set(edges.filter { $0.source != $0.destination }.map { Pair($0.source, $0.destination) })).sorted()
        let connected = Set(edgeList.flatMap { [$0.a, $0.b] })
        let nodeList = Array(connected).sorted()
        let isolated = nodes.filter { !connected.contains($0) }.sorted()
        var successors: [String: [String]] = [:], predecessors: [String: [String]] = [:]
        for pair in edgeList {
            successors[pair.a, default: []].append(pair.b)
            predecessors[pair.b, default: []].append(pair.a)
        }
        let acyclic = breakCycles(nodeList, successors: successors, predecessors: predecessors)
        let layerOf = assignLayers(nodeList, edges: acyclic)
        let layerCount = (layerOf.values.max() ?? -1) + 1

        // Slots per layer, with placeholders for edges that span layers.
        var slots = [[String]](repeating: [], count: layerCount)
        var placeholder = Set<String>()
        for node in nodeList { slots[layerOf[node]!].append(node) }
        var chains: [(Pair, [String])] = []
        for pair in edgeList {
            var (from, to) = (pair.a, pair.b)
            if layerOf[from]! > layerOf[to]! { swap(&from, &to) }
            var chain = [from]
            let low = layerOf[from]!, high = layerOf[to]!
            if high > low + 1 {
                for layer in (low + 1)..<high {
                    let key = "·\(pair.a)→\(pair.b)#\(layer)"
                    slots[layer].append(key)
                    placeholder.insert(key)
                    chain.append(key)
                }
            }
            chain.append(to)
            chains.append((pair, chain))
        }
        // Adjacent-layer links between slots (both directions), for barycenters.
        var down: [String: [String]] = [:], up: [String: [String]] = [:]
        for (_, chain) in chains {
            for (a, b) in zip(chain, chain.dropFirst()) {
                down[a, default: []].append(b)
                up[b, default: []].append(a)
            }
        }
        for index in slots.indices { slots[index].sort() }
        slots = reduceCrossings(slots, down: down, up: up)

        // Coordinates: boxes top-aligned in each column, one blank row between.
        var inbound: [String: Int] = [:], outbound: [String: Int] = [:]
        for pair in edgeList {
            outbound[pair.a, default: 0] += 1
            inbound[pair.b, default: 0] += 1
        }
        var layers: [[Slot]] = []
        var height = 0
        for layer in slots {
            var y = 0
            var column: [Slot] = []
            for key in layer {
                let isPlaceholder = placeholder.contains(key)
                let h = isPlaceholder ? 1 : boxHeight(inbound: inbound[key] ?? 0, outbound: outbound[key] ?? 0)
                column.append(Slot(key: key, isPlaceholder: isPlaceholder, y: y, height: h))
                y += h + 1
            }
            height = max(height, y)
            layers.append(column)
        }
        var position: [String: (Int, Int)] = [:]
        for (layer, column) in layers.enumerated() { for (index, slot) in column.enumerated() { position[slot.key] = (layer, index) } }
        let routes = chains.map { pair, chain in
            Route(source: pair.a, destination: pair.b, path: chain.map { (layer: position[$0]!.0, index: position[$0]!.1) })
        }
        let maxGapEdges = (0..<max(0, layerCount - 1)).map { layer in routes.filter { route in route.path.contains { $0.layer == layer } && route.path.contains { $0.layer == layer + 1 } }.count }.max() ?? 0
        let gapWidth = labelWidth + 3 + min(maxGapEdges, 24)
        let width = layerCount == 0 ? 0 : layerCount * boxWidth + (layerCount - 1) * gapWidth
        return TopologyLayout(layers: layers, routes: routes, boxWidth: boxWidth, gapWidth: gapWidth, width: width, height: max(0, height - 1),
                              isolated: isolated)
    }

    /// A directed pair, ordered by names (for determinism).
    struct Pair: Hashable, Comparable {
        var a: String, b: String
        init(_ a: String, _ b: String) { self.a = a; self.b = b }
        static func < (l: Pair, r: Pair) -> Bool { (l.a, l.b) < (r.a, r.b) }
    }

    /// The edges with every cycle broken by reversing its DFS back edges (visited in name order
    /// from the nodes nothing calls), so layering has a DAG to work on.
    static func breakCycles(_ nodes: [String], successors: [String: [String]], predecessors: [String: [String]]) -> [Pair] {
        var state: [String: Int] = [:] // 1 on the stack, 2 done
        var result: [Pair] = []
        let roots = nodes.filter { (predecessors[$0] ?? []).isEmpty } + nodes
        for root in roots where state[root] == nil {
            var stack: [(String, [String])] = [(root, (successors[root] ?? []).sorted())]
            state[root] = 1
            while !stack.isEmpty {
                if stack[stack.count - 1].1.isEmpty {
                    state[stack.removeLast().0] = 2
                    continue
                }
                let node = stack[stack.count - 1].0
                let next = stack[stack.count - 1].1.removeFirst()
                switch state[next] {
                case 1?: result.append(Pair(next, node)) // back edge: reversed
                case 2?: result.append(Pair(node, next))
                default:
                    result.append(Pair(node, next))
                    state[next] = 1
                    stack.append((next, (successors[next] ?? []).sorted()))
                }
            }
        }
        return result
    }

    /// Longest path from the entry nodes: a service sits one layer right of its deepest caller.
    static func assignLayers(_ nodes: [String], edges: [Pair]) -> [String: Int] {
        var predecessors: [String: [String]] = [:], indegree: [String: Int] = [:], successors: [String: [String]] = [:]
        for edge in edges {
            predecessors[edge.b, default: []].append(edge.a)
            successors[edge.a, default: []].append(edge.b)
            indegree[edge.b, default: 0] += 1
        }
        var layer: [String: Int] = [:]
        var queue = nodes.filter { (indegree[$0] ?? 0) == 0 }
        var head = 0
        for node in queue { layer[node] = 0 }
        while head < queue.count {
            let node = queue[head]
            head += 1
            for next in (successors[node] ?? []).sorted() {
                layer[next] = max(layer[next] ?? 0, layer[node]! + 1)
                indegree[next]! -= 1
                if indegree[next] == 0 { queue.append(next) }
            }
        }
        for node in nodes where layer[node] == nil { layer[node] = 0 }
        return layer
    }

    /// Barycenter sweeps (down, then up), keeping the ordering with the fewest crossings; ties
    /// keep the earlier (name) order, so the result is deterministic.
    static func reduceCrossings(_ initial: [[String]], down: [String: [String]], up: [String: [String]]) -> [[String]] {
        var order = initial
        var best = order
        var bestCrossings = crossings(order, down: down)
        guard bestCrossings > 0 else { return order }
        for sweep in 0..<12 {
            let forward = sweep % 2 == 0
            let range: [Int] = forward ? Array(order.indices.dropFirst()) : Array(order.indices.dropLast().reversed())
            for layer in range {
                let neighbours = forward ? up : down
                let reference = order[forward ? layer - 1 : layer + 1]
                var index: [String: Int] = [:]
                for (position, key) in reference.enumerated() { index[key] = position }
                let current = order[layer]
                let keyed = current.enumerated().map { position, key -> (Double, Int, String) in
                    let linked = (neighbours[key] ?? []).compactMap { index[$0] }
                    let center = linked.isEmpty ? Double(position) : Double(linked.reduce(0, +)) / Double(linked.count)
                    return (center, position, key)
                }
                order[layer] = keyed.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
            }
            let count = crossings(order, down: down)
            if count < bestCrossings {
                best = order
                bestCrossings = count
                if count == 0 { break }
            }
        }
        return best
    }

    /// Edge crossings between adjacent layers.
    static func crossings(_ order: [[String]], down: [String: [String]]) -> Int {
        var total = 0
        for layer in order.indices.dropLast() {
            var index: [String: Int] = [:]
            for (position, key) in order[layer + 1].enumerated() { index[key] = position }
            var links: [(Int, Int)] = []
            for (position, key) in order[layer].enumerated() { for next in down[key] ?? [] { if let target = index[next] { links.append((position, target)) } } }
            links.sort { $0 < $1 }
            total += inversions(links, targets: order[layer + 1].count)
        }
        return total
    }

    /// Pairs (a, b) with a.source < b.source and a.target > b.target (crossing edges), for links
    /// sorted by (source, target): counted with a Fenwick tree over target positions in
    /// O(E log V). The pairwise count was O(E²) — most of a 2,000-service layout (0.52 s).
    static func inversions(_ links: [(Int, Int)], targets: Int) -> Int {
        var tree = [Int](repeating: 0, count: targets + 1)
        var total = 0
        for (seen, link) in links.enumerated() {
            // Earlier links with a target at or below this one's do not cross it.
            var atOrBelow = 0
            var i = link.1 + 1
            while i > 0 { atOrBelow += tree[i]; i -= i & -i }
            total += seen - atOrBelow
            i = link.1 + 1
            while i <= targets { tree[i] += 1; i += i & -i }
        }
        return total
    }

    /// Column where layer `layer` starts.
    public func x(ofLayer layer: Int) -> Int { layer * (boxWidth + gapWidth) }
}
