import Foundation
import MeshModel
import Synchronization

/// The service graph a snapshot describes, filtered (namespace filter, focus) and laid out.
/// Layouts are memoised by the graph's structure, so rendering 30 times a second costs a lookup
/// and a snapshot whose metrics changed keeps its picture.
public struct TopologyGraph: Sendable {
    public var nodes: [String]
    public var edges: [Edge]
    public var services: [String: Service]
    public var layout: TopologyLayout

    /// The graph of `snapshot`: services and edges between them (traffic from outside the mesh,
    /// `unknown`, is left out: the ingress is where the picture starts), keeping the services
    /// `filter` matches and, with `focus`, those within `hops` calls of it.
    public static func make(_ snapshot: MeshSnapshot, filter: String = "", focus: String? = nil, hops: Int = 2) -> TopologyGraph {
        var edges = snapshot.edges.filter { $0.source != "unknown" && !$0.source.isEmpty && !$0.destination.isEmpty }
        var nodes = Set(snapshot.services.map(\.id)).union(edges.flatMap { [$0.source, $0.destination] })
        if !filter.isEmpty {
            let needle = filter.lowercased()
            nodes = nodes.filter { $0.lowercased().contains(needle) }
            edges = edges.filter { nodes.contains($0.source) && nodes.contains($0.destination) }
        }
        if let focus, nodes.contains(focus) {
            var reached: Set<String> = [focus], frontier: Set<String> = [focus]
            for _ in 0..<hops {
                var next = Set<String>()
                for edge in edges {
                    if frontier.contains(edge.source) { next.insert(edge.destination) }
                    if frontier.contains(edge.destination) { next.insert(edge.source) }
                }
                frontier = next.subtracting(reached)
                reached.formUnion(next)
            }
            nodes = reached
            edges = edges.filter { reached.contains($0.source) && reached.contains($0.destination) }
        }
        let sortedNodes = nodes.sorted()
        let layout = LayoutCache.shared.layout(nodes: sortedNodes, edges: edges.map { ($0.source, $0.destination) })
        return TopologyGraph(nodes: sortedNodes, edges: edges, services: Dictionary(snapshot.services.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }),
                             layout: layout)
    }

    /// Services in drawing order (layer by layer, top to bottom): what j/k step through.
    public var order: [String] { layout.layers.flatMap { $0.filter { !$0.isPlaceholder }.map(\.key) } }
}

/// The last few layouts by structure (node list and edge list).
final class LayoutCache: Sendable {
    static let shared = LayoutCache()
    private let entries = Mutex<[(key: String, layout: TopologyLayout)]>([])

    func layout(nodes: [String], edges: [(String, String)]) -> TopologyLayout {
        let key = nodes.joined(separator: "\u{1}") + "\u{2}" + edges.map { "\($0.0)\u{3}\($0.1)" }.sorted().joined(separator: "\u{1}")
        if let hit = entries.withLock({ $0.first { $0.key == key }?.layout }) { return hit }
        let layout = TopologyLayout.make(nodes: nodes, edges: edges.map { (source: $0.0, destination: $0.1) })
        entries.withLock { cache in
            cache.insert((key, layout), at: 0)
            if cache.count > 8 { cache.removeLast() }
        }
        return layout
    }
}
