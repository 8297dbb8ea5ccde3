import ArgumentParser
import Foundation
import MeshModel
import MeshSim
import MeshUI

/// Lays out and draws the Topology of a generated mesh (goal: 300 services laid out in < 50 ms).
struct TopologyBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "topology", abstract: "Topology layout and drawing of a generated mesh.")

    @Option(help: "Services in the generated mesh (the simulator's generator).") var services: Int = 300
    @Option(help: "Layouts to time (each from scratch).") var runs: Int = 20
    @OptionGroup var output: JSONOutput

    func run() throws {
        let topology = try SimTopology.generated(services: services, seed: 1, adminBase: "127.0.1.1")
        var snapshot = MeshSnapshot(generatedAt: Date())
        snapshot.services = topology.services.map { Service(name: $0.name, namespace: $0.namespace, hostname: $0.hostname,
                                                            traffic: TrafficMetrics(rps: 10, successRate: 1, serverErrorRate: 0)) }
        snapshot.edges = topology.edges.map { edge in
            let source = topology.services[edge.source], destination = topology.services[edge.destination]
            return Edge(source: "\(source.namespace)/\(source.name)", destination: "\(destination.namespace)/\(destination.name)", mtls: true,
                        traffic: TrafficMetrics(rps: edge.rps, successRate: 1, serverErrorRate: 0, latencyMs: LatencyQuantiles(p99: 20)))
        }
        let nodes = snapshot.services.map(\.id)
        let edges = snapshot.edges.map { (source: $0.source, destination: $0.destination) }
        var times: [Double] = []
        var layout = TopologyLayout.make(nodes: nodes, edges: edges)
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            layout = TopologyLayout.make(nodes: nodes, edges: edges)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        times.sort()
        print("Topology of a generated mesh: \(snapshot.services.count) services, \(snapshot.edges.count) edges")
        print("  layers \(layout.layers.count), widest layer \(layout.layers.map(\.count).max() ?? 0) slots (placeholders included), drawing \(layout.width)×\(layout.height) cells")
        print(String(format: "  layout:  median %.1f ms, max %.1f ms over %d runs (goal < %d ms)", times[times.count / 2], times.last!, runs, nodes.count <= 301 ? 50 : 500))
        var state = AppState(width: 200, height: 60)
        _ = state.update(.snapshot(snapshot))
        _ = state.update(.key(.character("3")))
        var frames: [Double] = []
        for _ in 0..<50 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = Screen.render(state)
            frames.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        frames.sort()
        print(String(format: "  Topology tab frame at 200×60 (layout cached): median %.2f ms", frames[25]))
        let count = snapshot.services.count
        try output.write([
            BenchResult(name: "Topology frame (\(count) services)", unit: "ms", value: frames[25], anchor: "one frame at 30 fps", anchorValue: 33.3,
                        goal: "< 33 ms median", met: frames[25] < 33.3),
            BenchResult(name: "Topology layout (\(count) services)", unit: "ms", value: times[times.count / 2], anchor: "one frame at 30 fps",
                        anchorValue: 33.3, goal: count <= 301 ? "< 50 ms" : "< 500 ms (once per topology change)",
                        met: times[times.count / 2] < (count <= 301 ? 50 : 500)),
        ])
    }
}
