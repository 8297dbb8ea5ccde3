import ArgumentParser
import Foundation
import MeshPoller
import MeshSim
import MeshSources

/// A full poll cycle (istiod's syncz/registryz/configz/endpointz, and every proxy's stats,
/// certificates and server info, then derivation) of a large simulated mesh: wall time, CPU time
/// and peak resident memory of the polling process. Issue 9's goal: 5,000 proxies inside a 5 s
/// interval on 2 cores, RSS < 500 MB, CPU < 50 % of one core averaged over the interval. The
/// simulator runs as a separate process on the same cores (its load is part of the picture).
struct PollBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "poll", abstract: "Full poll cycles of a large simulated mesh.")

    @Option(help: "Minimum number of proxies in the generated mesh.") var proxies: Int = 1000
    @Option(help: "Poll cycles to run after the first (which also reads every proxy's config).") var polls: Int = 5
    @Option(help: "Seconds between polls (the CPU share is over this interval).") var interval: Double = 5
    @Option(help: "Path of the meshtop binary (default: next to this one).") var meshtop: String?
    @Option(help: "First loopback address for the simulated proxies.") var adminAddressBase: String = "127.0.110.1"
    @OptionGroup var output: JSONOutput

    func run() async throws {
        let sim = try BenchSim(proxies: proxies, adminAddressBase: adminAddressBase, meshtop: meshtop, step: 10)
        defer { sim.stop() }
        let services = sim.services
        var options = PollerOptions()
        options.istiodURLs = [sim.istiod]
        options.targets = try TargetsFileReader.read(path: sim.targetsPath)
        let baselineRSS = Memory.current()
        let poller = try MeshPoller(options: options)
        var deriver = SnapshotDeriver()
        print("poll cycle: meshtop sim --services \(services) → \(options.targets.count) proxies (simulator in its own process, same 2 cores)")
        var walls: [Double] = [], cpus: [Double] = []
        for index in 0...polls {
            let cpuBefore = Self.cpuSeconds(), start = Date()
            guard let round = await poller.poll() else { continue }
            let fetched = Date()
            let snapshot = deriver.derive(round)
            let wall = Date().timeIntervalSince(start), cpu = Self.cpuSeconds() - cpuBefore
            let failing = round.sources.filter { !$0.ok }.count
            print(String(format: "  poll %d: wall %.2f s (derivation %.2f s), CPU %.2f s, RSS %.0f MB (heap in use %.0f MB), %d services, %d sources failing%@", index, wall,
                         Date().timeIntervalSince(fetched), cpu, Memory.current(), Memory.heapInUse(), snapshot.services.count, failing,
                         index == 0 ? " (first: also every proxy's route/cluster config, within the per-poll budget)" : ""))
            if index > 0 {
                walls.append(wall)
                cpus.append(cpu)
            }
            if index < polls { try await Task.sleep(nanoseconds: UInt64(max(0, interval - wall) * 1e9)) }
        }
        await poller.shutdown()
        let wall = walls.reduce(0, +) / Double(max(1, walls.count)), cpu = cpus.reduce(0, +) / Double(max(1, cpus.count))
        print(String(format: "  steady polls: wall %.2f s average (goal < %.0f s), CPU %.2f s per poll = %.0f %% of one core over the %.0f s interval (goal < 50 %%)",
                     wall, interval, cpu, cpu / interval * 100, interval))
        let peak = Memory.peak()
        print(String(format: "  peak resident memory of the poller: %.0f MB (goal < 500 MB; %.0f MB before the first poll)", peak, baselineRSS))
        // The anchor: the requests of a steady poll (every proxy's filtered stats, which carry
        // its server state; same concurrency), bodies read and dropped — what the simulator and
        // HTTP cost on their own. Certificates and server info (every 15–30 s) are not in it.
        let floor = try await Self.fetchFloor(targets: options.targets, concurrency: options.concurrency, statsFilter: options.statsFilter ?? "")
        print(String(format: "  anchor, GET of the same endpoints without parsing: wall %.2f s, CPU %.2f s (%.0f %% of one core), %.0f MB", floor.wall,
                     floor.cpu, floor.cpu / interval * 100, floor.megabytes))
        let count = options.targets.count
        try output.write([
            BenchResult(name: "poll cycle wall (\(count) proxies)", unit: "s", value: wall, anchor: "GET of the same endpoints, no parsing",
                        anchorValue: floor.wall, goal: "< \(Int(interval)) s", met: wall < interval),
            BenchResult(name: "poll CPU (\(count) proxies)", unit: "% core", value: cpu / interval * 100, anchor: "GET of the same endpoints, no parsing",
                        anchorValue: floor.cpu / interval * 100, goal: "< 50 % of one core", met: cpu / interval < 0.5),
            BenchResult(name: "poller peak RSS (\(count) proxies)", unit: "MB", value: peak, anchor: "RSS before the first poll",
                        anchorValue: baselineRSS, goal: "< 500 MB", met: peak < 500),
        ])
    }

    /// Wall and CPU time to GET every proxy's filtered stats with the poller's concurrency,
    /// discarding the bodies; and the megabytes transferred.
    static func fetchFloor(targets: [ScrapeTarget], concurrency: Int, statsFilter: String) async throws -> (wall: Double, cpu: Double, megabytes: Double) {
        let client = MeshClient(transport: try DirectHTTPTransport(timeout: 30), policy: .readOnly)
        let path = EnvoyAdminClient.Paths.stats(filter: statsFilter)
        let cpuBefore = cpuSeconds(), start = Date()
        let bytes = await withTaskGroup(of: Int.self) { group -> Int in
            var total = 0
            var iterator = targets.makeIterator()
            func next() -> Bool {
                guard let target = iterator.next() else { return false }
                group.addTask { (try? await client.send(MeshRequest(.GET, target.endpoint, path, source: "floor")).body.count) ?? 0 }
                return true
            }
            for _ in 0..<concurrency where next() {}
            while let size = await group.next() {
                total += size
                _ = next()
            }
            return total
        }
        let result = (Date().timeIntervalSince(start), cpuSeconds() - cpuBefore, Double(bytes) / 1e6)
        await client.shutdown()
        return result
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

}
