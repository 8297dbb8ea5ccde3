import ArgumentParser
import Foundation
import MeshModel
import MeshPoller
import MeshSources
import MeshStore
import MeshUI

/// An accelerated soak: a simulated mesh running `--time-scale` times faster than the clock,
/// polled every `--mesh-interval` seconds of mesh time, derived, recorded into a history file
/// and rendered (Services and Topology) until `--mesh-duration` of mesh time has gone by, while
/// the resident memory of this process is watched. Polls are stamped in mesh time, so windows
/// and retention see the hour go by. The run is measured in mesh time, not in polls: a poll
/// that takes longer than its share of wall time makes the next one start late, not the hour
/// longer (counting polls gave ~2 h of mesh time for "1,800 polls" when polls took 0.3 s
/// instead of 0.2). Goal: < 5 % growth from after the warm-up (6 minutes of mesh time: every
/// window full) to the end, comparing the median RSS of the polls in the 5 minutes after the
/// warm-up with that of the last 5 minutes (one reading swings by ±8 MB with the bodies in
/// flight at that moment). The simulator runs in its own process.
struct SoakBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "soak", abstract: "Accelerated soak: memory growth over an hour of mesh time.")

    @Option(help: "Minimum number of proxies in the generated mesh.") var proxies: Int = 60
    @Option(help: "Mesh time to cover, in seconds.") var meshDuration: Double = 3600
    @Option(help: "Mesh seconds between polls (a late poll starts at once).") var meshInterval: Double = 2
    @Option(help: "Simulated seconds per wall second.") var timeScale: Double = 10
    @Option(help: "Path of the meshtop binary (default: next to this one).") var meshtop: String?
    @Option(help: "First loopback address for the simulated proxies.") var adminAddressBase: String = "127.0.130.1"
    @Flag(help: "Leave the history store out (to tell its memory from the rest).") var noStore = false
    @OptionGroup var output: JSONOutput

    func run() async throws {
        let sim = try BenchSim(proxies: proxies, adminAddressBase: adminAddressBase, meshtop: meshtop, step: 2,
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
        let meshStart = options.clock()
        let meshNow = options.clock
        let hours = String(format: "%.1f", meshDuration / 3600)
        print("soak: \(options.targets.count) proxies, a poll every \(meshInterval) s of mesh time for \(hours) h at \(timeScale)x")
        // Warm-up: the longest window (health 5 min, its history 6 min) filled, or a tenth of the run.
        let warmUp = min(meshDuration * 0.9, max(meshDuration / 10, 360))
        // The comparison windows: 5 minutes each, or less when the run is short.
        let window = min(300, (meshDuration - warmUp) / 2)
        var warmReadings: [Double] = [], endReadings: [Double] = []
        var maxRSS = 0.0, events = 0, failures = 0, diffBytes = 0, polls = 0, nextReport = 0.0
        var eventKinds: [String: Int] = [:]
        let start = Date()
        var due = meshStart
        while meshNow().timeIntervalSince(meshStart) < meshDuration {
            guard let round = await poller.poll() else { continue }
            polls += 1
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
            let rss = Memory.current(), meshElapsed = meshNow().timeIntervalSince(meshStart)
            maxRSS = max(maxRSS, rss)
            if meshElapsed >= warmUp, meshElapsed < warmUp + window { warmReadings.append(rss) }
            if meshElapsed >= meshDuration - window { endReadings.append(rss) }
            if meshElapsed >= nextReport {
                nextReport += meshDuration / 20
                FileHandle.standardOutput.write(Data(String(format: "  mesh %5.0f s, poll %5d: RSS %.1f MB, %d events so far, %.0f s wall\n", meshElapsed, polls,
                                                            rss, events, Date().timeIntervalSince(start)).utf8))
            }
            due = max(due.addingTimeInterval(meshInterval), meshNow())
            let wait = due.timeIntervalSince(meshNow()) / timeScale
            if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
        }
        await poller.shutdown()
        print("  events by kind: \(eventKinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); diffs \(diffBytes / 1024) KB")
        let warm = Self.median(warmReadings), end = Self.median(endReadings)
        let growth = warm > 0 ? (end - warm) / warm * 100 : 0
        let covered = meshNow().timeIntervalSince(meshStart)
        print(String(format: "  median RSS %.1f MB after warm-up (%.0f–%.0f s), %.1f MB at the end (last %.0f s) (%+.1f %%), max %.1f MB", warm, warmUp,
                     warmUp + window, end, window, growth, maxRSS))
        print(String(format: "  %d polls over %.0f s of mesh time (one per %.2f s), %d events, %d failed source reads, %.0f s wall", polls, covered,
                     covered / Double(max(1, polls)), events, failures, Date().timeIntervalSince(start)))
        try output.write([
            BenchResult(name: "soak RSS, median of the last 5 min (\(hours) h mesh time\(noStore ? ", no store" : ""))", unit: "MB", value: end,
                        anchor: "median RSS after warm-up", anchorValue: warm, goal: "< 5 % above anchor", met: growth < 5),
        ])
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
