import Foundation
import MeshStore
import MeshTestSupport
import Testing
@testable import MeshSim

/// `meshtop record` and `meshtop history` against a running `meshtop sim`, as an operator uses them.
@Suite("meshtop record and history end to end", .timingSensitive)
struct RecordCommandTests {
    static func temporaryDatabase() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-record-\(UUID().uuidString).db").path
    }

    @Test("A minute of recording: history services shows the simulated rates; the weight change appears in history config with its diff")
    func recordMinute() async throws {
        let sim = try await SimProcess.start(["--seed", "5", "--scenario", "weight-change virtualService=reviews at=25s weights=v1:0,v2:50,v3:50"],
                                 adminAddressBase: "127.0.60.1")
        defer { sim.stop() }
        let db = Self.temporaryDatabase()
        let record = try await MeshtopProcess.run(["record", "--istiod", sim.istiod, "--targets-file", sim.targets, "--db", db,
                                                                   "--interval", "2", "--duration", "60s"])
        #expect(record.status == 0, "\(record.stderr)")
        #expect(record.stderr.contains("stopped after"))
        let mode = try FileManager.default.attributesOfItem(atPath: db)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let csv = try await SnapshotCommandTests.run(["history", "services", "--db", db, "--since", "5m", "-o", "csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        let lines = String(decoding: csv.stdout, as: UTF8.self).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(lines.first?.prefix(3) == ["time", "service", "rps"])
        var options = SimOptions()
        options.seed = 5
        let model = try SimulatorState(options: options)
        for service in model.topology.services where !service.isGateway {
            let rows = lines.dropFirst().filter { $0[1] == "\(service.namespace)/\(service.name)" }
            #expect(rows.count >= 25, "\(service.name): \(rows.count) rows")
            // Later rows: the 1-minute rate window is full.
            let rates = rows.suffix(10).compactMap { Double($0[2]) }
            let mean = rates.reduce(0, +) / Double(max(1, rates.count))
            let expected = model.expectedRPS(service: service.index)
            #expect(abs(mean - expected) / expected < 0.10, "\(service.name): \(mean) rps recorded vs \(expected)")
        }

        let config = try await SnapshotCommandTests.run(["history", "config", "--db", db, "--since", "5m", "--kind", "vs"])
        let text = String(decoding: config.stdout, as: UTF8.self)
        #expect(config.status == 0, "\(config.stderr)")
        #expect(text.contains("changed   VirtualService"), "\(text)")
        #expect(text.contains("-      weight: 50") && text.contains("+      weight: 0"), "\(text)")
        let diff = try await SnapshotCommandTests.run(["history", "diff", "VirtualService/default/reviews", "--db", db, "--at", "@\(Date().timeIntervalSince1970 - 300)",
                                                 "--at", "now"])
        #expect(String(decoding: diff.stdout, as: UTF8.self).contains("+      weight: 50"))
        let events = try await SnapshotCommandTests.run(["history", "events", "--db", db, "--since", "5m", "--kind", "config", "-o", "json"])
        let parsed = try #require(try JSONSerialization.jsonObject(with: events.stdout) as? [[String: Any]])
        #expect(parsed.contains { ($0["subject"] as? String) == "VirtualService default/reviews" && ($0["diff"] as? String)?.contains("+      weight: 0") == true })
        #expect(parsed.contains { ($0["subject"] as? String)?.hasPrefix("ProxyRoutes on") == true })
        let store = try HistoryStore(path: db, readOnly: true)
        #expect(try store.integrityCheck() == "ok")

        // The stored state as a snapshot: the latest, and one from before the weight change.
        let latest = try await SnapshotCommandTests.run(["snapshot", "--from-db", db, "-o", "json"])
        #expect(latest.status == 0, "\(latest.stderr)")
        try await SnapshotCommandTests.validateSchema(latest.stdout)
        let export = try #require(try JSONSerialization.jsonObject(with: latest.stdout) as? [String: Any])
        let services = try #require(export["services"] as? [[String: Any]])
        #expect(services.contains { ($0["name"] as? String) == "reviews" && (($0["rps"] as? Double) ?? 0) > 10 })
        let routes = try #require(export["routes"] as? [[String: Any]])
        let reviews = try #require(routes.first { ($0["virtualService"] as? String) == "reviews" })
        #expect(((reviews["destinations"] as? [[String: Any]])?.compactMap { $0["weight"] as? Int }) == [0, 50, 50])
        let oldest = try #require(try store.reader.oldestPoll())
        let before = try await SnapshotCommandTests.run(["snapshot", "--from-db", db, "--at", "@\(oldest.at.timeIntervalSince1970 + 5)", "-o", "json"])
        let beforeExport = try #require(try JSONSerialization.jsonObject(with: before.stdout) as? [String: Any])
        let beforeRoutes = try #require(beforeExport["routes"] as? [[String: Any]])
        let beforeReviews = try #require(beforeRoutes.first { ($0["virtualService"] as? String) == "reviews" })
        #expect(((beforeReviews["destinations"] as? [[String: Any]])?.compactMap { $0["weight"] as? Int }) == [50, 30, 20])
        let missing = try await SnapshotCommandTests.run(["snapshot", "--from-db", db, "--at", "@1000"])
        #expect(missing.status == 3 && missing.stderr.contains("no poll stored"))
    }

    @Test("SIGTERM ends the recorder after its current write, with exit 0")
    func terminated() async throws {
        let sim = try await SimProcess.start([], adminAddressBase: "127.0.62.1")
        defer { sim.stop() }
        let db = Self.temporaryDatabase()
        let (process, log) = try await Self.startRecorder(sim, db: db, interval: 0.2, untilCommitted: 3)
        process.terminate()
        await process.exited()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(text.contains("stopped (SIGTERM)"), "\(text)")
        let reader = try HistoryStore(path: db, readOnly: true).reader
        #expect(try reader.pollCount() >= Self.committedPolls(log).count)
    }

    @Test("SIGKILL in the middle of writes: every committed poll survives and the file passes integrity_check")
    func killedWriter() async throws {
        let sim = try await SimProcess.start(["--services", "10", "--seed", "2"], adminAddressBase: "127.0.61.1")
        defer { sim.stop() }
        let db = Self.temporaryDatabase()
        var committed = Set<Int64>()
        for round in 0..<50 {
            // Kill at a random moment once a few polls were written.
            let (process, log) = try await Self.startRecorder(sim, db: db, interval: 0.1, untilCommitted: 2 + round % 3)
            try await Task.sleep(nanoseconds: UInt64.random(in: 0...400_000_000))
            kill(process.processIdentifier, SIGKILL)
            await process.exited()
            #expect(process.terminationReason == .uncaughtSignal)
            committed.formUnion(Self.committedPolls(log))
            let store = try HistoryStore(path: db, readOnly: true)
            #expect(try store.integrityCheck() == "ok")
            let reader = store.reader
            var present = Set<Int64>()
            var cursor: Int64 = 0
            while let next = try reader.poll(after: cursor) {
                present.insert(next.id)
                cursor = next.id
            }
            #expect(committed.isSubset(of: present), "lost polls: \(committed.subtracting(present).sorted())")
            // Each committed poll is whole: its services are all there.
            if let last = committed.max(), let poll = try reader.poll(after: last - 1) {
                #expect(poll.id == last)
                #expect(try reader.snapshot(at: poll).services.count >= 10)
            }
            try? FileManager.default.removeItem(at: log)
        }
        #expect(committed.count >= 100)
        for file in [db, db + "-wal", db + "-shm"] where FileManager.default.fileExists(atPath: file) {
            let mode = (try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) ?? -1
            #expect(mode == 0o600, "\(file) has mode \(String(mode, radix: 8))")
        }
    }

    @Test("Tokens come from files and never appear in output, errors or the history file; config init writes 0600")
    func secrets() async throws {
        let token = "s3cr3t-\(UUID().uuidString)"
        let sim = try await SimProcess.start(["--token", token, "--require-token-from-loopback"], adminAddressBase: "127.0.62.1")
        defer { sim.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("token").path, bad = directory.appendingPathComponent("wrong").path
        try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: good))
        try Data("wrong-\(token)".utf8).write(to: URL(fileURLWithPath: bad))

        let refused = try await SnapshotCommandTests.snapshot(["--istiod", sim.istiod, "--token-file", bad, "-o", "json"])
        #expect(refused.stderr.contains("HTTP 401"), "\(refused.stderr)")
        #expect(!refused.stderr.contains(token) && !String(decoding: refused.stdout, as: UTF8.self).contains(token))
        let accepted = try await SnapshotCommandTests.snapshot(["--istiod", sim.istiod, "--token-file", good, "-o", "json", "--interval", "1"])
        #expect(accepted.status == 0 && !accepted.stderr.contains("HTTP 401"), "\(accepted.stderr)")
        #expect(!accepted.stderr.contains(token) && !String(decoding: accepted.stdout, as: UTF8.self).contains(token))

        let db = directory.appendingPathComponent("history.db").path
        let record = try await MeshtopProcess.run(["record", "--istiod", sim.istiod, "--token-file", good, "--db", db, "--interval", "0.5",
                                                   "--duration", "2", "--verbose"])
        let log = record.stderr
        #expect(record.status == 0, "\(log)")
        #expect(!log.contains(token))
        #expect(try HistoryStore(path: db, readOnly: true).reader.pollCount() >= 2)
        for file in [db, db + "-wal", db + "-shm"] where FileManager.default.fileExists(atPath: file) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect(bytes.range(of: Data(token.utf8)) == nil, "\(file) holds the token")
        }

        let config = directory.appendingPathComponent("conf/config.yaml").path
        let initialised = try await MeshtopProcess.run(["config", "init", "--path", config])
        let mode = (try FileManager.default.attributesOfItem(atPath: config)[.posixPermissions] as? Int) ?? -1
        #expect(initialised.status == 0 && mode == 0o600, "config.yaml mode \(String(mode, radix: 8))")
    }

    /// Starts `meshtop record --verbose` (its stderr in a log file) and waits until it reported
    /// `count` committed polls. It suspends while it waits: a test blocking one of the two
    /// cooperative threads for a minute (50 kills) starved every in-process poller test running
    /// beside it, whose rates and deadlines then went wrong.
    static func startRecorder(_ sim: SimProcess, db: String, interval: Double, untilCommitted count: Int) async throws -> (Process, URL) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("record-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = try #require(PackagePaths.meshtop)
        process.arguments = ["record", "--istiod", sim.istiod, "--targets-file", sim.targets, "--db", db, "--interval", "\(interval)", "--verbose"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, committedPolls(log).count < count { try await Task.sleep(nanoseconds: 50_000_000) }
        return (process, log)
    }

    /// Poll ids the recorder reported as written (it prints a line after each commit).
    static func committedPolls(_ log: URL) -> Set<Int64> {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return Set(text.split(separator: "\n").compactMap { line -> Int64? in
            guard let range = line.range(of: " poll ") else { return nil }
            return Int64(line[range.upperBound...].prefix { $0.isNumber })
        })
    }
}
