import ArgumentParser
import Foundation
import MeshModel
import MeshUI

/// Frame cost of the Services view with many services and of the Proxies view with many
/// proxies, each beside the same view with a tenth of the rows in the same run: a frame should
/// cost what is on screen, not what is in the mesh (goals: < 5 ms median, within 2× of the
/// tenth; release build).
struct RenderBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "render", abstract: "Render the Services view with N services and the Proxies view with M proxies.")

    @Option(help: "Services in the snapshot.") var services: Int = 2000
    @Option(help: "Proxies in the snapshot of the Proxies view.") var proxies: Int = 5000
    @Option(help: "Terminal width.") var width: Int = 200
    @Option(help: "Terminal height.") var height: Int = 60
    @Option(help: "Frames to render.") var frames: Int = 200
    @OptionGroup var output: JSONOutput

    func run() throws {
        var results: [BenchResult] = []
        for (name, count, view, build) in [("Services", services, "2", Self.services), ("Proxies", proxies, "6", Self.proxies)] {
            let (frame, key) = Self.measure(build(count), view: view, width: width, height: height, frames: frames)
            let (small, _) = Self.measure(build(max(1, count / 10)), view: view, width: width, height: height, frames: frames)
            print("\(name) view, \(count) rows, \(width)x\(height), \(frames) frames")
            print(String(format: "  render:            median %.2f ms, p99 %.2f ms (goal < 5 ms median); %d rows: median %.2f ms (ratio %.2f, goal ≤ 2)",
                         frame.median, frame.p99, max(1, count / 10), small.median, frame.median / small.median))
            print(String(format: "  key → next frame:  median %.2f ms, p99 %.2f ms (state update + render; j and s alternately)", key.median, key.p99))
            results += [
                BenchResult(name: "\(name) frame (\(count) rows)", unit: "ms", value: frame.median, anchor: "same view, \(max(1, count / 10)) rows",
                            anchorValue: small.median, goal: "< 5 ms median, ≤ 2× the tenth", met: frame.median < 5 && frame.median <= 2 * small.median),
                BenchResult(name: "key to next frame (\(count) \(name.lowercased()))", unit: "ms", value: key.median, anchor: "one frame at 30 fps",
                            anchorValue: 33.3, goal: "< 33 ms median", met: key.median < 33.3),
            ]
        }
        try output.write(results)
    }

    /// A state showing `snapshot` in the view of key `view`; frames rendered as they are, and
    /// a key (j or s alternately) followed by its frame.
    static func measure(_ snapshot: (MeshSnapshot, [String: [Double]]), view: String, width: Int, height: Int,
                        frames: Int) -> (frame: (median: Double, p99: Double), key: (median: Double, p99: Double)) {
        var state = AppState(width: width, height: height)
        _ = state.update(.snapshot(snapshot.0))
        state.trends = snapshot.1
        _ = state.update(.key(.character(Character(view))))
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

    static func services(_ count: Int) -> (MeshSnapshot, [String: [Double]]) {
        var snapshot = MeshSnapshot(generatedAt: Date())
        var trends: [String: [Double]] = [:]
        for index in 0..<count {
            snapshot.services.append(Service(
                name: "service-\(index)", namespace: "namespace-\(index % 12)", hostname: "service-\(index).namespace-\(index % 12).svc.cluster.local",
                versions: ["v1", "v2"], traffic: TrafficMetrics(rps: Double(index % 300) + 0.5, successRate: 0.998, serverErrorRate: 0.002,
                                                               clientErrorRate: 0, latencyMs: LatencyQuantiles(p50: 4, p95: 20, p99: 48)),
                health: HealthVerdict(index % 9 == 0 ? .degraded : .healthy, reason: "")))
            trends["namespace-\(index % 12)/service-\(index)"] = (0..<30).map { Double(($0 * 7 + index) % 50) }
        }
        return (snapshot, trends)
    }

    /// Proxies as a cluster shows them: reached by port-forward, synced (one in 50 stale), each
    /// with its source status (one in 40 failing).
    static func proxies(_ count: Int) -> (MeshSnapshot, [String: [Double]]) {
        let now = Date()
        var snapshot = MeshSnapshot(generatedAt: now)
        for index in 0..<count {
            let namespace = "namespace-\(index % 12)", pod = "service-\(index / 3)-v\(index % 3 + 1)-5d8f9c7b6-\(String(index, radix: 36))"
            let id = "\(pod).\(namespace)"
            var sync: [XDSType: SyncState] = [:]
            for type in [XDSType.cds, .lds, .eds, .rds] { sync[type] = SyncState(status: .synced, sentAt: now.addingTimeInterval(-30)) }
            if index % 50 == 0 { sync[.rds] = SyncState(status: .stale, sentAt: now.addingTimeInterval(-90)) }
            snapshot.proxies.append(Proxy(id: id, namespace: namespace, podName: pod, adminURL: "portforward://\(namespace)/\(pod):15000",
                                          istioVersion: "1.28.1", istiod: "portforward://istio-system/istiod-6c9d8f7b5-x2x4q:15014", sync: sync,
                                          serverState: "LIVE", health: HealthVerdict(.healthy, reason: "")))
            let failing = index % 40 == 0
            snapshot.sources.append(SourceStatus(name: "proxy \(id)", url: "portforward://\(namespace)/\(pod):15000", ok: !failing,
                                                 error: failing ? "timed out" : nil, latencyMs: 4, lastSuccess: now.addingTimeInterval(failing ? -20 : 0)))
        }
        return (snapshot, [:])
    }
}
