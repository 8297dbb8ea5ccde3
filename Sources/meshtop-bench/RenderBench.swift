import ArgumentParser
import Foundation
import MeshModel
import MeshUI

/// Frame cost of the Services view with many services (goal: < 5 ms median, release build).
struct RenderBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "render", abstract: "Render the Services view with N services.")

    @Option(help: "Services in the snapshot.") var services: Int = 2000
    @Option(help: "Terminal width.") var width: Int = 200
    @Option(help: "Terminal height.") var height: Int = 60
    @Option(help: "Frames to render.") var frames: Int = 200
    @OptionGroup var output: JSONOutput

    func run() throws {
        let (frame, key) = Self.measure(services: services, width: width, height: height, frames: frames)
        // The anchor: the same view with a tenth of the services, in the same run — a frame
        // should cost what is on screen, not what is in the mesh.
        let (small, _) = Self.measure(services: max(1, services / 10), width: width, height: height, frames: frames)
        print("Services view, \(services) services, \(width)x\(height), \(frames) frames")
        print(String(format: "  render:            median %.2f ms, p99 %.2f ms (goal < 5 ms median); %d services: median %.2f ms", frame.median, frame.p99,
                     max(1, services / 10), small.median))
        print(String(format: "  key → next frame:  median %.2f ms, p99 %.2f ms (state update + render; j and s alternately)", key.median, key.p99))
        try output.write([
            BenchResult(name: "Services frame (\(services) services)", unit: "ms", value: frame.median,
                        anchor: "same view, \(max(1, services / 10)) services", anchorValue: small.median, goal: "< 5 ms median", met: frame.median < 5),
            BenchResult(name: "key to next frame (\(services) services)", unit: "ms", value: key.median, anchor: "one frame at 30 fps",
                        anchorValue: 33.3, goal: "< 33 ms median", met: key.median < 33.3),
        ])
    }

    static func measure(services: Int, width: Int, height: Int, frames: Int) -> (frame: (median: Double, p99: Double), key: (median: Double, p99: Double)) {
        let now = Date()
        var snapshot = MeshSnapshot(generatedAt: now)
        for index in 0..<services {
            snapshot.services.append(Service(
                name: "service-\(index)", namespace: "namespace-\(index % 12)", hostname: "service-\(index).namespace-\(index % 12).svc.cluster.local",
                versions: ["v1", "v2"], traffic: TrafficMetrics(rps: Double(index % 300) + 0.5, successRate: 0.998, serverErrorRate: 0.002,
                                                               clientErrorRate: 0, latencyMs: LatencyQuantiles(p50: 4, p95: 20, p99: 48)),
                health: HealthVerdict(index % 9 == 0 ? .degraded : .healthy, reason: "")))
        }
        var state = AppState(width: width, height: height)
        _ = state.update(.snapshot(snapshot))
        for index in 0..<services { state.trends["namespace-\(index % 12)/service-\(index)"] = (0..<30).map { Double(($0 * 7 + index) % 50) } }
        _ = state.update(.key(.character("2")))
        var frameTimes: [Double] = []
        var keyTimes: [Double] = []
        for frame in 0..<frames {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = Screen.render(state)
            frameTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            let keyStart = DispatchTime.now().uptimeNanoseconds
            _ = state.update(.key(frame % 2 == 0 ? .down : .character("s")))
            _ = Screen.render(state)
            keyTimes.append(Double(DispatchTime.now().uptimeNanoseconds - keyStart) / 1e6)
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        func p99(_ values: [Double]) -> Double { values.sorted()[min(values.count - 1, values.count * 99 / 100)] }
        return ((median(frameTimes), p99(frameTimes)), (median(keyTimes), p99(keyTimes)))
    }
}
