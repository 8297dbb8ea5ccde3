import Foundation
import Testing
import MeshTestSupport

/// `meshtop demo` in a real terminal: tmux on a private socket, fixed size, keys sent, screens
/// read back with capture-pane (polling for text, never bare sleeps).
enum TmuxSupport {
    static var root: URL { PackagePaths.root }
    static var binary: String? { PackagePaths.meshtop?.path }
    static var available: Bool { Tmux.available && binary != nil }
}

@Suite("Console in tmux", .timingSensitive, .serialized, .enabled(if: TmuxSupport.available, "tmux or the meshtop binary is missing"))
struct TmuxEndToEndTests {
    static var root: URL { TmuxSupport.root }
    static var binary: String? { TmuxSupport.binary }

    /// Start-up to first traffic: the demo's simulator and two polls, in a process that shares
    /// two cores with the rest of the suite (not a speed goal; 20 s ran out once in a full run).
    static let startUp = 45.0

    let socket = "meshtop-test-\(UUID().uuidString.prefix(8))"

    var driver: Tmux { Tmux(socket: socket) }

    @discardableResult
    func tmux(_ arguments: [String], captureOutput: Bool = false) -> String {
        driver.run(arguments, capture: captureOutput || arguments.first == "capture-pane")
    }

    func screen() -> String { tmux(["capture-pane", "-p", "-t", "demo"]) }

    /// Polls the pane until `predicate` holds; records the screen on timeout.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 20, _ predicate: @escaping @Sendable (String) -> Bool) async -> String {
        let (ok, text) = await driver.waitFor("demo", timeout: timeout, predicate)
        if !ok { Issue.record("timed out waiting for \(what); screen:\n\(text)") }
        return text
    }

    func keys(_ keys: String...) { tmux(["send-keys", "-t", "demo"] + keys) }

    @Test("demo: live numbers, every view, filter, details, resize, quit restores the terminal")
    func demo() async throws {
        let binary = try #require(Self.binary)
        let command = "cd '\(Self.root.path)' && LANG=C.UTF-8 TERM=tmux-256color '\(binary)' demo --admin-address-base 127.0.70.1 --refresh 1; "
            + "echo EXITED $?; stty -a | tr ' ' '\\n' | grep -x -- '-*echo'; sleep 60"
        tmux(["new-session", "-d", "-s", "demo", "-x", "80", "-y", "24", command])
        defer { tmux(["kill-server"]) }

        await waitFor("live traffic in the Overview", timeout: Self.startUp) { $0.range(of: #"Traffic +[1-9][0-9]*\.[0-9] rps"#, options: .regularExpression) != nil }
        keys("2")
        let services = await waitFor("the Services table") { $0.contains("SERVICE") && $0.range(of: #"productpage +istio/envoy +[0-9]+\.[0-9]{2}"#, options: .regularExpression) != nil }
        #expect(services.contains("reviews") && services.contains("ratings") && services.contains("details"))
        keys("3"); await waitFor("Topology") { $0.contains("services · 4 edges") && $0.contains("productpage") && $0.contains("rps") }
        keys("4"); await waitFor("Routes") { $0.contains("VIRTUALSERVICE") && $0.contains("reviews (v2)") }
        keys("5"); await waitFor("Certificates") { $0.contains("root") && $0.contains("intermediate") }
        keys("6"); await waitFor("Proxies") { $0.contains("CDS") && $0.contains("STALE") }
        keys("7"); await waitFor("Events") { $0.contains("SEVERITY") }
        keys("2", "/", "r", "e", "v", "Enter")
        await waitFor("the filter to leave only reviews") { $0.contains("reviews") && !$0.contains("productpage ") && $0.contains("filter /rev") }
        keys("Enter")
        await waitFor("the reviews detail with history charts") { $0.contains("default/reviews") && $0.contains("errors %") && $0.contains("last 15 min") }
        keys("Escape", "Escape")
        // Time travel through the demo's in-memory store, then back to live.
        keys("[", "[")
        await waitFor("the HISTORY banner") { $0.contains("HISTORY ") && $0.contains("[ older  ] newer") }
        keys(":", "l", "i", "v", "e", "Enter")
        await waitFor("live again") { $0.contains(" LIVE ") && !$0.contains("HISTORY ") }
        keys("?"); await waitFor("help") { $0.contains("Keys — Services") }
        keys("Escape")
        tmux(["resize-window", "-t", "demo", "-x", "160", "-y", "48"])
        await waitFor("the wide layout") { screen in screen.split(separator: "\n").contains { $0.count > 150 && $0.contains("VERSIONS") } }
        tmux(["resize-window", "-t", "demo", "-x", "60", "-y", "20"])
        await waitFor("the too-small screen") { $0.contains("terminal too small") }
        tmux(["resize-window", "-t", "demo", "-x", "80", "-y", "24"])
        await waitFor("the table again") { $0.contains("SERVICE") }
        keys("q")
        let after = await waitFor("exit and a restored terminal") { $0.contains("EXITED 0") && $0.contains("\necho") }
        #expect(!after.contains("-echo"))
    }

    @Test("SIGTERM ends the console with exit 0 and a restored terminal")
    func terminated() async throws {
        let binary = try #require(Self.binary)
        let marker = "127.0.74.1"
        let command = "cd '\(Self.root.path)' && LANG=C.UTF-8 TERM=tmux-256color '\(binary)' demo --admin-address-base \(marker) --refresh 1; "
            + "echo EXITED $?; stty -a | tr ' ' '\\n' | grep -x -- '-*echo'; sleep 60"
        tmux(["new-session", "-d", "-s", "demo", "-x", "80", "-y", "24", command])
        defer { tmux(["kill-server"]) }
        await waitFor("live traffic", timeout: Self.startUp) { $0.range(of: #"Traffic +[1-9][0-9]*\.[0-9] rps"#, options: .regularExpression) != nil }
        let pid = try #require(tmux(["display-message", "-p", "-t", "demo", "#{pane_pid}"], captureOutput: true)
            .trimmingCharacters(in: .whitespacesAndNewlines)).description
        // The pane runs a shell; meshtop is its child.
        let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        let meshtop = try #require(children.split(separator: " ").compactMap { Int32($0) }.first, "no child of the pane's shell")
        kill(meshtop, SIGTERM)
        let after = await waitFor("exit 0 and a restored terminal") { $0.contains("EXITED 0") && $0.contains("\necho") }
        #expect(!after.contains("-echo"))
    }

    @Test("demo --mesh mixed: Istio, Linkerd and MOSN services in one Services view, proxies with their mesh")
    func mixedMeshes() async throws {
        let binary = try #require(Self.binary)
        let command = "cd '\(Self.root.path)' && LANG=C.UTF-8 TERM=tmux-256color '\(binary)' demo --mesh mixed --admin-address-base 127.0.75.1 --refresh 1; sleep 60"
        tmux(["new-session", "-d", "-s", "demo", "-x", "80", "-y", "24", command])
        defer { tmux(["kill-server"]) }
        keys("2")
        let services = await waitFor("all three meshes with traffic in the Services view") { screen in
            [#"productpage +istio/envoy +[1-9][0-9]*\.[0-9]{2}"#, #"details +linkerd +[1-9][0-9]*\.[0-9]{2}"#, #"reviews +mosn +[1-9][0-9]*\.[0-9]{2}"#]
                .allSatisfy { screen.range(of: $0, options: .regularExpression) != nil }
        }
        #expect(services.contains("ratings"))
        keys("6")
        let proxies = await waitFor("proxies of each mesh") { $0.contains("linkerd") && $0.contains("mosn") && $0.contains("SYNCED") }
        #expect(proxies.contains("istio/envoy"))
        keys("q")
    }

    @Test("demo --faults: every fault at once; keys answer in under 2 s, failing proxies show their error and data age, memory stays bounded, all recover")
    func faults() async throws {
        let binary = try #require(Self.binary)
        let faults = FaultKinds.all.map { "\($0):0.05" }.joined(separator: ",")
        let command = "cd '\(Self.root.path)' && LANG=C.UTF-8 TERM=tmux-256color '\(binary)' demo --services 12 --admin-address-base 127.0.170.1 --refresh 1 "
            + "--faults \(faults) --faults-at 8s --faults-for 25s; sleep 60"
        tmux(["new-session", "-d", "-s", "demo", "-x", "80", "-y", "24", command])
        defer { tmux(["kill-server"]) }
        await waitFor("live traffic", timeout: Self.startUp) { $0.range(of: #"Traffic +[1-9][0-9]*\.[0-9] rps"#, options: .regularExpression) != nil }
        keys("6")
        // One state, read from one screen: failing rows with the age of their data, and the
        // status line counting the failing sources (the same format for one or many).
        await waitFor("failing proxies with the age of their data, counted in the status line", timeout: 40) { screen in
            screen.range(of: #"FAIL [0-9]+s"#, options: .regularExpression) != nil
                && screen.range(of: #"sources [0-9]+/[0-9]+ ok +⚠ [1-9][0-9]* failing · "#, options: .regularExpression) != nil
        }
        // The console answers keys while polls wait on hung and dripping proxies.
        for (key, marker) in [("2", "SERVICE"), ("6", "CDS"), ("1", "Traffic"), ("6", "CDS")] {
            let start = Date()
            keys(key)
            await waitFor("view \(key) within 2 s", timeout: 2) { $0.contains(marker) }
            #expect(Date().timeIntervalSince(start) < 2)
        }
        // 100 MB bodies are cut at the body cap, and the simulator streams one shared megabyte.
        let peak = try #require(Self.peakResidentMB(matching: "127.0.170.1"), "the demo process")
        print("demo --faults peak RSS: \(peak) MB")
        #expect(peak < 600, "peak RSS \(peak) MB")
        let recovered = await waitFor("every source ok again after the faults end", timeout: 60) { screen in
            screen.range(of: #"sources ([0-9]+)/\1 ok"#, options: .regularExpression) != nil && !screen.contains("FAIL")
        }
        #expect(!recovered.contains("⚠"))
        keys("q")
    }

    @Test("demo --hostile-names: no escape sequence reaches the terminal — title, clipboard and screen intact in every view")
    func hostileNames() async throws {
        let binary = try #require(Self.binary)
        let command = "cd '\(Self.root.path)' && LANG=C.UTF-8 TERM=tmux-256color '\(binary)' demo --hostile-names --admin-address-base 127.0.183.1 --refresh 1; sleep 60"
        tmux(["new-session", "-d", "-s", "demo", "-x", "120", "-y", "30", command])
        defer { tmux(["kill-server"]) }
        // Let applications set the clipboard, so a leaked OSC 52 would land in a tmux buffer.
        tmux(["set-option", "-g", "set-clipboard", "on"])
        tmux(["set-option", "-g", "allow-rename", "on"])
        keys("2")
        let services = await waitFor("renamed services with traffic") { $0.range(of: #"productpage\? +istio/envoy +(sidecar +)?v1 +[1-9]"#, options: .regularExpression) != nil }
        #expect(services.range(of: #"reviews\? +istio/envoy +(sidecar +)?v1\?\?\?"#, options: .regularExpression) != nil, "controls in versions are shown as ?")
        #expect(services.range(of: #"ratings +istio/envoy +(sidecar +)?v1 +[1-9]"#, options: .regularExpression) != nil, "traffic still flows to ratings")
        for (key, marker) in [("3", "edges"), ("4", "VIRTUALSERVICE"), ("6", "CDS"), ("7", "SEVERITY"), ("1", "Traffic")] {
            keys(key)
            let screen = await waitFor("view \(key)") { $0.contains(marker) }
            #expect(!screen.contains("owned") && !screen.contains("cm0gLXJmIH4"), "view \(key) shows the payload")
        }
        keys("4"); await waitFor("routes") { $0.contains("VIRTUALSERVICE") }
        keys("j", "Enter")
        await waitFor("a route's detail") { $0.contains("reviews?") }
        let raw = driver.capture("demo", escapes: true)
        #expect(!raw.contains("owned") && !raw.contains("\u{1B}]") && !raw.contains("\u{1B}[2J") && !raw.contains("\u{1B}[?1049h"), "no payload in the pane, with escapes")
        let title = tmux(["display-message", "-p", "-t", "demo", "#{pane_title}"], captureOutput: true)
        #expect(!title.contains("owned"), "the window title is untouched: \(title)")
        let buffers = tmux(["list-buffers"], captureOutput: true)
        #expect(buffers.isEmpty, "no clipboard write reached tmux: \(buffers)")
        keys("q")
    }

    /// VmHWM of the running `meshtop` whose command line contains `text`.
    static func peakResidentMB(matching text: String) -> Int? {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap(Int32.init) ?? []
        for pid in pids {
            guard let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8), comm.trimmingCharacters(in: .whitespacesAndNewlines) == "meshtop",
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                  String(decoding: cmdline, as: UTF8.self).contains(text),
                  let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                  let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { continue }
            return kb / 1024
        }
        return nil
    }
}

/// The simulator's fault kinds as `--faults` spells them (MeshUITests does not link MeshSim).
enum FaultKinds {
    static let all = ["hang", "drip", "reset", "http500", "http401", "garbage", "truncated", "huge", "wrongtype"]
}
