import ArgumentParser
import Foundation
import MeshModel
import MeshStore
import MeshUI

/// The history store at scale: ingest rate, file size for a day of a large mesh, history query
/// times and the time-travel frame (issue 5's goals). Writes a real SQLite file.
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "History store: ingest, file size, sparkline query and time travel at 1,000 services.")

    @Option(help: "Services in the synthetic mesh.") var services: Int = 1000
    @Option(help: "Edges per service.") var edgesPerService: Int = 2
    @Option(help: "Proxies (and leaf certificates) per service.") var proxiesPerService: Int = 3
    @Option(help: "Seconds between simulated polls.") var interval: Double = 2
    @Option(help: "Hours of history to write (24 for the full day; the size of a day is extrapolated from shorter runs).") var hours: Double = 1
    @Option(help: "Database file (default: a temporary file, deleted afterwards).") var db: String?
    @OptionGroup var output: JSONOutput

    func run() async throws {
        let path = db ?? FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-bench-\(UUID().uuidString).db").path
        defer { if db == nil { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } } }
        let store = try HistoryStore(path: path)
        let writer = try store.writer()
        let mesh = SyntheticMesh(services: services, edgesPerService: edgesPerService, proxiesPerService: proxiesPerService)
        let polls = Int(hours * 3600 / interval)
        // Poll times end now, so that retention keeps them all and "now" queries see them.
        let start = Date().addingTimeInterval(-Double(polls) * interval)
        print("history store: \(services) services, \(services * edgesPerService) edges, \(services * proxiesPerService) proxies and leaf certificates")
        print("  writing \(polls) polls (\(hours) h at \(interval) s) to \(path)")

        var samples = 0
        var writeSeconds = 0.0
        var pollTimes: [Double] = []
        let wall = Date()
        for index in 0..<polls {
            let snapshot = mesh.snapshot(at: start.addingTimeInterval(Double(index) * interval), index: index)
            let begin = DispatchTime.now().uptimeNanoseconds
            let written = try await writer.record(snapshot)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9
            writeSeconds += seconds
            pollTimes.append(seconds * 1000)
            samples += written.samples
            if index % 1800 == 1799 { print(String(format: "  … %d polls, %.0f s", index + 1, Date().timeIntervalSince(wall))) }
        }
        pollTimes.sort()
        print(String(format: "  ingest:            %.0f samples/s (%d samples in %.1f s of writes; one sample = one service or edge row; goal ≥ 200k/s)",
                     Double(samples) / writeSeconds, samples, writeSeconds))
        let floor = try Self.sqliteFloor(rows: samples)
        print(String(format: "  anchor:            sqlite3 CLI inserting %d 6-column rows in one transaction: %.0f rows/s", samples, floor))
        var results = [BenchResult(name: "store ingest", unit: "samples/s", value: Double(samples) / writeSeconds,
                                   anchor: "sqlite3 CLI bulk INSERT…SELECT, same rows", anchorValue: floor, goal: ">= 200k samples/s",
                                   met: Double(samples) / writeSeconds >= 200_000)]
        print(String(format: "  per poll:          median %.1f ms, p99 %.1f ms, max %.1f ms (one transaction each, retention and rollups included)",
                     pollTimes[pollTimes.count / 2], pollTimes[min(pollTimes.count - 1, pollTimes.count * 99 / 100)], pollTimes.last ?? 0))

        let size = Self.fileSize(path)
        let perHour = Double(size) / hours
        print(String(format: "  file size:         %.1f MB after %.1f h (WAL checkpointed)", Double(size) / 1e6, hours))
        if hours < 24 {
            print(String(format: "  24 h of raw polls: %.2f GB (extrapolated: %.1f MB per hour)", perHour * 24 / 1e9, perHour / 1e6))
        }
        let rollupBytes = try Self.rollupBytesPerMinute(store)
        print(String(format: "  rollups:           %.0f bytes per minute of the mesh → 30 days ≈ %.2f GB; the file stays bounded near raw 24 h + rollups 30 d",
                     rollupBytes, rollupBytes * 30 * 1440 / 1e9))

        let reader = store.reader
        let end = start.addingTimeInterval(Double(polls) * interval)
        var queryTimes: [Double] = []
        for index in 0..<200 {
            let begin = DispatchTime.now().uptimeNanoseconds
            let points = try reader.chart(service: mesh.serviceKey(index * 7 % services), from: end.addingTimeInterval(-86400), to: end, resolution: .minute)
            queryTimes.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6)
            precondition(!points.isEmpty)
        }
        queryTimes.sort()
        print(String(format: "  24 h sparkline:    median %.2f ms, p99 %.2f ms per service (RPS, 5xx and p99 from 1-minute rollups, %d points; goal < 5 ms)",
                     queryTimes[100], queryTimes[197], try reader.chart(service: mesh.serviceKey(0), from: end.addingTimeInterval(-86400), to: end, resolution: .minute).count))
        results.append(BenchResult(name: "24 h sparkline query", unit: "ms", value: queryTimes[100], anchor: "one frame at 30 fps", anchorValue: 33.3,
                                   goal: "< 5 ms median", met: queryTimes[100] < 5))
        var rawTimes: [Double] = []
        for index in 0..<50 {
            let begin = DispatchTime.now().uptimeNanoseconds
            _ = try reader.series(service: mesh.serviceKey(index * 13 % services), from: end.addingTimeInterval(-900), to: end, resolution: .raw)
            rawTimes.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6)
        }
        rawTimes.sort()
        print(String(format: "  15 min chart:      median %.2f ms (raw samples of one service)", rawTimes[25]))
        let trendBegin = DispatchTime.now().uptimeNanoseconds
        let trends = try reader.trends(minutes: 10, endingAt: end)
        print(String(format: "  TREND column:      %.1f ms for %d services (10 minutes each, after every poll)",
                     Double(DispatchTime.now().uptimeNanoseconds - trendBegin) / 1e6, trends.count))

        // Time travel: load a stored poll at a random minute and render the Services view.
        var travelTimes: [Double] = [], loadTimes: [Double] = [], travelTrendTimes: [Double] = []
        var state = AppState(width: 200, height: 60)
        state.historyAvailable = true
        _ = state.update(.key(.character("2")))
        var firstTravel = 0.0
        for attempt in 0..<31 {
            let target = start.addingTimeInterval(Double.random(in: 0..<(Double(polls) * interval)))
            let begin = DispatchTime.now().uptimeNanoseconds
            let poll = try require(try reader.poll(atOrBefore: target))
            let snapshot = try reader.snapshot(at: poll)
            let loaded = DispatchTime.now().uptimeNanoseconds
            _ = state.update(.history(.frame(poll, snapshot)))
            _ = Screen.render(state)
            if attempt == 0 {
                firstTravel = Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6
                continue
            }
            travelTimes.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6)
            loadTimes.append(Double(loaded - begin) / 1e6)
            // The TREND series follow the frame (a second, separate answer).
            let trendsBegin = DispatchTime.now().uptimeNanoseconds
            _ = try reader.trends(minutes: 10, endingAt: poll.at)
            travelTrendTimes.append(Double(DispatchTime.now().uptimeNanoseconds - trendsBegin) / 1e6)
        }
        travelTimes.sort()
        loadTimes.sort()
        travelTrendTimes.sort()
        print(String(format: "  time travel:       median %.1f ms, max %.1f ms to load a stored poll and render it (load alone: median %.1f ms; one frame = 33 ms)",
                     travelTimes[15], travelTimes.last!, loadTimes[15]))
        print(String(format: "                     its TREND series follow in a median %.1f ms; the first jump decodes every state (%.1f ms), later ones only new rows",
                     travelTrendTimes[15], firstTravel))
        results.append(BenchResult(name: "time travel (load + render)", unit: "ms", value: travelTimes[15], anchor: "one frame at 30 fps",
                                   anchorValue: 33.3, goal: "< 33 ms median", met: travelTimes[15] < 33.3))
        try output.write(results)
    }

    /// The floor for ingest: the sqlite3 shell inserting the same number of plain rows (six
    /// integer columns, one transaction, generated inside SQLite) into a fresh file, rows/s.
    static func sqliteFloor(rows: Int) throws -> Double {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-floor-\(UUID().uuidString).db").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let sql = """
            PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
            CREATE TABLE s(poll INTEGER, entity INTEGER, rps INTEGER, errors INTEGER, p50 INTEGER, p99 INTEGER, PRIMARY KEY(poll, entity)) WITHOUT ROWID;
            BEGIN;
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows - 1))
            INSERT INTO s SELECT i / 3000, i % 3000, i * 7 % 100000, i % 13, i % 977, i % 4099 FROM n;
            COMMIT;
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path, sql]
        process.standardOutput = FileHandle.nullDevice
        let start = Date()
        try process.run()
        process.waitUntilExit()
        return Double(rows) / Date().timeIntervalSince(start)
    }

    static func fileSize(_ path: String) -> Int {
        ["", "-wal"].reduce(0) { total, suffix in
            total + ((try? FileManager.default.attributesOfItem(atPath: path + suffix)[.size] as? Int) ?? 0)
        }
    }

    /// Bytes the rollup tables take per minute of history (from SQLite's page accounting).
    static func rollupBytesPerMinute(_ store: HistoryStore) throws -> Double {
        try store.tableSizes()
            .filter { $0.name.hasSuffix("_minutes") }
            .reduce(0.0) { $0 + Double($1.bytes) } / max(1, try store.rollupMinutes())
    }
}

func require<T>(_ value: T?) throws -> T {
    guard let value else { throw ValidationError("unexpected nil") }
    return value
}

/// A deterministic large mesh whose metrics move from poll to poll.
struct SyntheticMesh {
    let services: Int
    let edgesPerService: Int
    let proxiesPerService: Int
    let base: MeshSnapshot

    init(services: Int, edgesPerService: Int, proxiesPerService: Int) {
        self.services = services
        self.edgesPerService = edgesPerService
        self.proxiesPerService = proxiesPerService
        var snapshot = MeshSnapshot(generatedAt: Date())
        let now = Date()
        for index in 0..<services {
            let namespace = "namespace-\(index % 12)", name = "service-\(index)"
            snapshot.services.append(Service(name: name, namespace: namespace, hostname: "\(name).\(namespace).svc.cluster.local",
                                             ports: [ServicePort(name: "http", port: 8080, protocol: "HTTP")], versions: ["v1", "v2"]))
            for edge in 0..<edgesPerService {
                let target = (index * 31 + edge * 17 + 1) % services
                snapshot.edges.append(Edge(source: "\(namespace)/\(name)", destination: "namespace-\(target % 12)/service-\(target)", mtls: true,
                                           versionShare: ["v1": 0.5, "v2": 0.5]))
            }
            for replica in 0..<proxiesPerService {
                let pod = "\(name)-v\(replica % 2 + 1)-5d8f7c9b6-\(replica)"
                let id = "\(pod).\(namespace)"
                let sync = Dictionary(uniqueKeysWithValues: XDSType.allCases.map { ($0, SyncState(status: $0 == .ecds ? .notSent : .synced, sentAt: now)) })
                snapshot.proxies.append(Proxy(id: id, namespace: namespace, podName: pod, workload: "\(name)-v\(replica % 2 + 1)",
                                              adminURL: "http://10.0.\(index % 250).\(replica):15000", istioVersion: "1.24.0", proxyVersion: "1.32.0",
                                              istiod: "http://istiod:15014", sync: sync, serverState: "LIVE", uptimeSeconds: 3600))
                snapshot.certificates.append(Certificate(serial: String(format: "%08x%04x", index, replica), kind: .leaf,
                                                         spiffeID: "spiffe://cluster.local/ns/\(namespace)/sa/\(name)",
                                                         notBefore: now.addingTimeInterval(-3600), notAfter: now.addingTimeInterval(82800), proxyIDs: [id]))
            }
        }
        base = snapshot
    }

    func serviceKey(_ index: Int) -> String { "namespace-\(index % 12)/service-\(index)" }

    /// The mesh at poll `index`: every rate and latency moves a little.
    func snapshot(at date: Date, index: Int) -> MeshSnapshot {
        var snapshot = base
        snapshot.generatedAt = date
        func traffic(_ seed: Int) -> TrafficMetrics {
            let wave = 1 + 0.1 * sin(Double(index + seed) / 30)
            let rps = Double(seed % 200 + 1) * wave
            let errors = seed % 17 == 0 ? 0.012 * wave : 0
            return TrafficMetrics(rps: rps, successRate: 1 - errors, serverErrorRate: errors, clientErrorRate: 0,
                                  latencyMs: LatencyQuantiles(p50: 3 * wave, p95: 18 * wave, p99: 45 * wave))
        }
        for position in snapshot.services.indices {
            snapshot.services[position].traffic = traffic(position)
            snapshot.services[position].health = HealthRules.traffic(snapshot.services[position].traffic)
        }
        for position in snapshot.edges.indices {
            snapshot.edges[position].traffic = traffic(position * 3 + 1)
            snapshot.edges[position].health = HealthRules.traffic(snapshot.edges[position].traffic)
        }
        for position in snapshot.proxies.indices { snapshot.proxies[position].uptimeSeconds = 3600 + Double(index) * 2 }
        return snapshot
    }
}
