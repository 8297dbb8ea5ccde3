import ArgumentParser
import Foundation
import MeshModel
import MeshPoller
import MeshSources
import MeshStore
import MeshUI

/// An accelerated soak: a simulated mesh running `--time-scale` times faster than the clock,
/// polled, derived, recorded into a history file and rendered (Services and Topology) over and
/// over — an hour of mesh time at the default 2 s poll interval — while the resident memory of
/// this process is watched; polls are stamped in mesh time, so windows and retention see the
/// hour go by. Goal: < 5 % growth from after the warm-up (6 minutes of mesh time: every window
/// full) to the end. The simulator runs in its own process.
struct SoakBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "soak", abstract: "Accelerated soak: memory growth over an hour of mesh time.")

    @Option(help: "Minimum number of proxies in the generated mesh.") var proxies: Int = 60
    @Option(help: "Polls (each stands for --mesh-interval seconds of mesh time).") var polls: Int = 1800
    @Option(help: "Mesh seconds per poll.") var meshInterval: Double = 2
    @Option(help: "Simulated seconds per wall second.") var timeScale: Double = 10
    @Option(help: "Path of the meshtop binary (default: next to this one).") var meshtop: String?
    @Option(help: "First loopback address for the simulated proxies.") var adminAddressBase: String = "127.0.130.1"
    @Flag(help: "Leave the history store out (to tell its memory from the rest).") var noStore = false
    @OptionGroup var output: JSONOutput

    func run() async throws {
        let sim = try SimProcess(proxies: proxies, adminAddressBase: adminAddressBase, meshtop: meshtop, step: 2,
                                 extraArguments: ["--time-scale", String(timeScale), "--leaf-lifetime", "1h"])
        defer { sim.stop() }
        var options = PollerOptions()
        options.istiodURLs = [sim.istiod]
        options.targets = try TargetsFileReader.read(path: sim.targetsPath)
        // Stamp polls in mesh time, so windows, retention and caches see an hour go by.
        let wallStart = Date(), scale = timeScale
        options.clock = { wallStart.addingTimeInterval(Date().timeIntervalSince(wallStart) * scale) }
        let poller = try MeshPoller(options: options)
        var deriver = SnapshotDeriver()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-soak-\(UUID().uuidString).db").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let writer = try HistoryStore(path: path).writer()
        var state = AppState(width: 160, height: 48)
        let wallPerPoll = meshInterval / timeScale
        print("soak: \(options.targets.count) proxies, \(polls) polls of \(meshInterval) s mesh time (\(String(format: "%.1f", Double(polls) * meshInterval / 3600)) h) at \(timeScale)x")
        // Warm-up: the longest window (health 5 min, its history 6 min) filled, or a tenth of the run.
        let warmUp = min(polls - 1, max(polls / 10, Int(360 / meshInterval)))
        var warm = 0.0, maxRSS = 0.0, events = 0, failures = 0, diffBytes = 0
        var eventKinds: [String: Int] = [:]
        let start = Date()
        for index in 0..<polls {
            let began = Date()
            guard let round = await poller.poll() else { continue }
            let snapshot = deriver.derive(round)
            events += snapshot.events.count
            for event in snapshot.events { eventKinds[event.kind.rawValue, default: 0] += 1; diffBytes += event.diff?.utf8.count ?? 0 }
            failures += round.sources.filter { !$0.ok }.count
            if !noStore { _ = try await writer.record(snapshot) }
            _ = state.update(.snapshot(snapshot))
            for view in ["2", "3", "1"] {
                _ = state.update(.key(.character(Character(view))))
                _ = Screen.render(state)
            }
            let rss = Memory.current()
            maxRSS = max(maxRSS, rss)
            if index == warmUp { warm = rss }
            if index % max(1, polls / 20) == 0 {
                FileHandle.standardOutput.write(Data(String(format: "  poll %5d: RSS %.1f MB, %d events so far, %.0f s\n", index, rss, events,
                                                            Date().timeIntervalSince(start)).utf8))
            }
            let elapsed = Date().timeIntervalSince(began)
            if elapsed < wallPerPoll { try await Task.sleep(nanoseconds: UInt64((wallPerPoll - elapsed) * 1e9)) }
        }
        await poller.shutdown()
        print("  events by kind: \(eventKinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); diffs \(diffBytes / 1024) KB")
        let end = Memory.current()
        let growth = warm > 0 ? (end - warm) / warm * 100 : 0
        print(String(format: "  RSS after warm-up %.1f MB, at the end %.1f MB (%+.1f %%), max %.1f MB; %d events, %d failed source reads, %.0f s wall",
                     warm, end, growth, maxRSS, events, failures, Date().timeIntervalSince(start)))
        try output.write([
            BenchResult(name: "soak RSS at the end (\(String(format: "%.1f", Double(polls) * meshInterval / 3600)) h mesh time)", unit: "MB", value: end,
                        anchor: "RSS after warm-up", anchorValue: warm, goal: "< 5 % above anchor", met: growth < 5),
        ])
    }
}
