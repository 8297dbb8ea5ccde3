import Foundation
import MeshModel

extension AppState {
    /// Topology keys: arrows pan, Enter focuses the selected service's neighbourhood, Esc leaves
    /// the focus; nil lets the common handler take the key (j/k select, tabs, …).
    mutating func handleTopology(_ key: Key) -> [Effect]? {
        let step = (x: 8, y: 3)
        switch key {
        case .left: topologyPan.x = max(0, topologyPan.x - step.x)
        case .right: topologyPan.x += step.x
        case .up: topologyPan.y = max(0, topologyPan.y - step.y)
        case .down: topologyPan.y += step.y
        case .enter:
            guard let row = selectedRow else { return [] }
            let service = row.key.components(separatedBy: "->").first ?? row.key
            topologyFocus = service
            topologyPan = Pan()
            var table = self.table(.topology)
            table.selected = TopologyView.graph(self)?.order.firstIndex(of: service) ?? 0
            tables[.topology] = table
            showToast("focus \(service): 2 hops", seconds: 1.5)
        case .escape where topologyFocus != nil:
            topologyFocus = nil
            topologyPan = Pan()
            clampSelections()
        case .character("j"), .character("k"):
            move(by: key == .character("j") ? 1 : -1)
            panToSelection()
        default:
            return nil
        }
        return []
    }

    /// Pans the drawing so that the selected service's box is on screen.
    mutating func panToSelection() {
        guard let graph = TopologyView.graph(self), let key = TopologyView.selectedService(self, graph) else { return }
        let body = TopologyView.bodyArea(self)
        for (layer, column) in graph.layout.layers.enumerated() {
            guard let slot = column.first(where: { $0.key == key }) else { continue }
            let x = graph.layout.x(ofLayer: layer) + 1
            if x < topologyPan.x { topologyPan.x = max(0, x - 2) }
            if x + graph.layout.boxWidth > topologyPan.x + body.width { topologyPan.x = x + graph.layout.boxWidth - body.width + 2 }
            if slot.y < topologyPan.y { topologyPan.y = max(0, slot.y - 1) }
            if slot.y + slot.height > topologyPan.y + body.height { topologyPan.y = slot.y + slot.height - body.height + 1 }
        }
    }
}
