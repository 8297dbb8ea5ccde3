import Foundation
import Testing
import MeshTestSupport

/// The dashboard and operator actions in a real terminal against `meshtop sim --log-requests`,
/// whose log says exactly which requests arrived (`<time> <method> <host:port> <path>`).
@Suite("Dashboard and operator actions in tmux", .timingSensitive, .serialized, .enabled(if: TmuxSupport.available, "tmux or the meshtop binary is missing"))
struct OperatorEndToEndTests {
    /// A tmux server with the simulator in one session; stopped by `stop()`.
    struct Setup {
        let driver = Tmux(socket: "meshtop-ops-\(UUID().uuidString.prefix(8))")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-ops-\(UUID().uuidString)")
        var istiod = ""
        var log: URL { directory.appendingPathComponent("requests.log") }
        var targets: String { directory.appendingPathComponent("targets.yaml").path }

        /// Starts the simulator in its tmux session and waits (suspended) for its first lines.
        static func start(base: String) async throws -> Setup {
            var setup = Setup()
            try FileManager.default.createDirectory(at: setup.directory, withIntermediateDirectories: true)
            let binary = try #require(TmuxSupport.binary)
            let output = setup.directory.appendingPathComponent("sim.out").path
            setup.driver.run(["new-session", "-d", "-s", "sim", "-x", "100", "-y", "10",
                              "'\(binary)' sim --istiod-port 0 --admin-port 0 --admin-address-base \(base) --targets-file '\(setup.targets)' "
                                  + "--log-requests '\(setup.log.path)' > '\(output)' 2>&1"])
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
                if text.contains("targets:"), let line = text.split(separator: "\n").first, line.hasPrefix("istiod: ") {
                    setup.istiod = String(line.dropFirst("istiod: ".count))
                    break
                }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            try #require(!setup.istiod.isEmpty, "the simulator did not start")
            return setup
        }

        /// Runs `meshtop ARGUMENTS` in a new session; `mesh` adds the simulator's sources and an
        /// in-memory store.
        func start(_ name: String, width: Int, height: Int, _ arguments: String, mesh: Bool = true) throws {
            let binary = try #require(TmuxSupport.binary)
            let sources = mesh ? " --istiod \(istiod) --targets-file '\(targets)' --db :memory:" : ""
            driver.run(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)",
                        "cd '\(TmuxSupport.root.path)' && LANG=C.UTF-8 TERM=tmux-256color '\(binary)' \(arguments)\(sources) --refresh 0.5; "
                            + "echo EXITED $?; sleep 60"])
        }

        @discardableResult
        func waitFor(_ name: String, _ what: String, timeout: Double = 20, _ predicate: @escaping @Sendable (String) -> Bool) async -> String {
            let (ok, screen) = await driver.waitFor(name, timeout: timeout, predicate)
            if !ok { Issue.record("timed out waiting for \(what); screen:\n\(screen)") }
            return screen
        }

        /// Requests the simulator received that were not GET or HEAD: `METHOD host:port path`.
        func mutations() -> [String] {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { line in
                let fields = line.split(separator: " ", maxSplits: 3).map(String.init)
                guard fields.count == 4, fields[1] != "GET", fields[1] != "HEAD" else { return nil }
                return fields[1...].joined(separator: " ")
            }
        }

        func requestCount() -> Int { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").count }

        /// The admin `host:port` of a proxy, from the targets file the simulator wrote.
        func adminAddress(of proxy: String) -> String? {
            let text = (try? String(contentsOfFile: targets, encoding: .utf8)) ?? ""
            var url: String?
            for line in text.split(separator: "\n") {
                if let range = line.range(of: "url: ") { url = String(line[range.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) }
                if line.contains("proxy: \(proxy)") || line.contains("proxy: \"\(proxy)\"") { return url.map { String($0.dropFirst("http://".count)) } }
            }
            return nil
        }

        /// Kills the tmux server; every meshtop it ran must end with its terminal (a session
        /// that outlives its terminal would poll the mesh forever).
        func stop() {
            driver.run(["kill-server"])
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline, Self.running(directory.path) { usleep(100_000) }
            if Self.running(directory.path) { Issue.record("meshtop processes outlived their terminal") }
            try? FileManager.default.removeItem(at: directory)
        }

        /// Whether a process whose command line mentions `marker` is alive (zombies excluded).
        static func running(_ marker: String) -> Bool {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.contains { pid in
                guard Int(pid) != nil, pid != String(getpid()),
                      let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                      let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                      !status.contains("State:\tZ") else { return false }
                return String(decoding: command, as: UTF8.self).contains(marker)
            }
        }
    }

    @Test("dashboard: 10,000 random keys, and not one request but GET reaches the mesh")
    func dashboardRandomKeys() async throws {
        let setup = try await Setup.start(base: "127.0.72.1")
        defer { setup.stop() }
        try setup.start("dash", width: 100, height: 30, "dashboard --rotate 2s")
        await setup.waitFor("dash", "the dashboard with live data", timeout: TmuxEndToEndTests.startUp) { $0.contains("READ-ONLY") && $0.range(of: #"[1-9][0-9]*\.[0-9] rps"#, options: .regularExpression) != nil }
        // Every key a user could press, except those that quit (q, Ctrl-C): operator keys (D U X l),
        // palette and filter (: /), time travel ([ ]), pause, refresh, copy, raw JSON, confirmations (y).
        let keys = Array("abcdefghijklmnoprstuvwxyzABCDEFGHIJKLMNOPRSTUVWXYZ0123456789:/[]?!.,-=+_()<>@%^&*").map(String.init)
            + ["Enter", "Escape", "Tab", "BTab", "Up", "Down", "Left", "Right", "PageUp", "PageDown", "Home", "End", "Space", "BSpace", "C-d", "C-u", "C-f", "C-b"]
        var generator = SystemRandomNumberGenerator()
        // Between random batches, the exact sequences that act in a console (Proxies, pick a row,
        // an action key, confirm): in the dashboard they must do nothing.
        let attempts = [["6", "j", "X", "y"], ["6", "D", "y"], ["6", "k", "U", "y"], ["6", ":", "l", "o", "g", "l", "e", "v", "e", "l", "Space", "d", "e", "b", "u", "g", "Enter", "y"]]
        var sent = 0
        for round in 0..<50 {
            let batch = (0..<200).map { _ in keys.randomElement(using: &generator)! } + ["Escape", "Escape"] + attempts[round % attempts.count]
            setup.driver.run(["send-keys", "-t", "dash"] + batch)
            sent += batch.count
        }
        #expect(sent >= 10_000)
        // Input is read in order: once the help opened by the last key shows, every key before it was handled.
        setup.driver.run(["send-keys", "-t", "dash", "Escape", "Escape", "Escape", "?"])
        let screen = await setup.waitFor("dash", "the dashboard still up after the keys", timeout: 30) { $0.contains("READ-ONLY") && $0.contains("Keys") }
        #expect(!screen.contains("EXITED"))
        try? await Task.sleep(nanoseconds: 1_500_000_000) // polls still in flight land in the log
        #expect(setup.requestCount() > 50)
        #expect(setup.mutations().isEmpty, "non-GET requests: \(setup.mutations())")
    }

    @Test("console: each operator action sends exactly its request after confirmation; cancel and --readonly send none")
    func consoleActions() async throws {
        let setup = try await Setup.start(base: "127.0.73.1")
        defer { setup.stop() }
        try setup.start("ops", width: 140, height: 40, "console")
        await setup.waitFor("ops", "live data", timeout: TmuxEndToEndTests.startUp) { $0.range(of: #"[1-9][0-9]*\.[0-9] rps"#, options: .regularExpression) != nil }
        setup.driver.run(["send-keys", "-t", "ops", "6"])
        await setup.waitFor("ops", "the Proxies view") { $0.contains("CDS") && $0.contains("details-v1") }
        setup.driver.run(["send-keys", "-t", "ops", "X"])
        let dialog = await setup.waitFor("ops", "the reset confirmation") { $0.contains("Reset the counters of") }
        let proxy = try #require(dialog.range(of: #"Reset the counters of ([^ ]+) \("#, options: .regularExpression).map { match -> String in
            String(dialog[match]).replacingOccurrences(of: "Reset the counters of ", with: "").replacingOccurrences(of: " (", with: "")
        })
        let address = try #require(setup.adminAddress(of: proxy), "no admin address for \(proxy)")
        setup.driver.run(["send-keys", "-t", "ops", "y"])
        await setup.waitFor("ops", "the reset done") { $0.contains("counters reset: done") }
        setup.driver.run(["send-keys", "-t", "ops", "D"])
        await setup.waitFor("ops", "the drain confirmation") { $0.contains("Fail the health check of \(proxy)") }
        setup.driver.run(["send-keys", "-t", "ops", "n"])
        await setup.waitFor("ops", "cancelled") { $0.contains("cancelled") }
        setup.driver.run(["send-keys", "-t", "ops", ":", "l", "o", "g", "l", "e", "v", "e", "l", "Space", "d", "e", "b", "u", "g", "Enter"])
        await setup.waitFor("ops", "the log level confirmation") { $0.contains("Set the log level of \(proxy) to debug?") }
        setup.driver.run(["send-keys", "-t", "ops", "y"])
        await setup.waitFor("ops", "the log level set") { $0.contains("log level → debug: done") }
        setup.driver.run(["send-keys", "-t", "ops", "U", "y"])
        await setup.waitFor("ops", "the health check restored") { $0.contains("health check restored: done") }
        setup.driver.run(["send-keys", "-t", "ops", "7"])
        await setup.waitFor("ops", "the actions in the Events view") { $0.contains("action") && $0.contains("counters reset: done") }
        #expect(setup.mutations() == ["POST \(address) /reset_counters", "POST \(address) /logging?level=debug", "POST \(address) /healthcheck/ok"])

        // The same keys in a --readonly console: refused before any request.
        try setup.start("readonly", width: 140, height: 40, "console --readonly")
        await setup.waitFor("readonly", "live data", timeout: TmuxEndToEndTests.startUp) { $0.range(of: #"[1-9][0-9]*\.[0-9] rps"#, options: .regularExpression) != nil }
        setup.driver.run(["send-keys", "-t", "readonly", "6"])
        await setup.waitFor("readonly", "the Proxies view") { $0.contains("CDS") && $0.contains("details-v1") }
        setup.driver.run(["send-keys", "-t", "readonly", "X"])
        await setup.waitFor("readonly", "the refusal") { $0.contains("read-only: operator actions are disabled") }
        setup.driver.run(["send-keys", "-t", "readonly", "y", "D", "y", ":", "l", "o", "g", "Space", "d", "e", "b", "u", "g", "Enter", "y"])
        try? await Task.sleep(nanoseconds: 1_000_000_000)
        #expect(setup.mutations().count == 3, "\(setup.mutations())")
    }

    @Test("dashboard --from-db shows what a recorder stored, with the mesh gone")
    func dashboardFromStore() async throws {
        let setup = try await Setup.start(base: "127.0.75.1")
        defer { setup.stop() }
        let db = setup.directory.appendingPathComponent("history.db").path
        let binary = try #require(TmuxSupport.binary)
        setup.driver.run(["new-session", "-d", "-s", "record", "-x", "100", "-y", "10",
                          "'\(binary)' record --istiod \(setup.istiod) --targets-file '\(setup.targets)' --db '\(db)' --interval 1 --duration 6s; "
                              + "echo RECORDED $?; sleep 60"])
        await setup.waitFor("record", "the recorder to finish", timeout: 60) { $0.contains("RECORDED 0") }
        setup.driver.run(["kill-session", "-t", "sim"]) // no mesh any more
        let requestsBefore = setup.requestCount()
        try setup.start("wall", width: 170, height: 50, "dashboard --from-db '\(db)'", mesh: false)
        let wall = await setup.waitFor("wall", "the stored mesh on the wall layout", timeout: TmuxEndToEndTests.startUp) { screen in
            screen.contains("READ-ONLY") && screen.contains("Certificates (") && screen.contains("Proxies (7)")
                && screen.range(of: #"reviews +istio/envoy +[1-9][0-9]*\.[0-9]{2}"#, options: .regularExpression) != nil
        }
        #expect(wall.contains("Services (5)"))
        #expect(setup.requestCount() == requestsBefore)
    }
}
