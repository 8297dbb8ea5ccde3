import ArgumentParser
import Foundation
import MeshTestSupport

/// Key-to-frame latency of `meshtop console` in a real terminal (tmux) while a share of the
/// proxies hang (accept connections, never answer). Goal: < 100 ms.
struct ResponsivenessBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "responsiveness", abstract: "Key-to-frame latency in tmux with hanging proxies.")

    @Option(help: "Services in the simulated mesh.") var services: Int = 60
    @Option(help: "Share of targets that hang.") var hangingShare: Double = 0.2
    @Option(help: "Key presses to time.") var presses: Int = 40
    @Option(help: "Path of the meshtop binary (default: next to this one).") var meshtop: String?

    func run() async throws {
        let binary = meshtop ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("meshtop").path
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-resp-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let simTargets = work.appendingPathComponent("sim-targets.yaml").path
        let sim = Process()
        sim.executableURL = URL(fileURLWithPath: binary)
        sim.arguments = ["sim", "--services", String(services), "--istiod-port", "0", "--admin-address-base", "127.0.120.1", "--targets-file", simTargets]
        let output = Pipe()
        sim.standardOutput = output
        sim.standardError = FileHandle.nullDevice
        try sim.run()
        defer { sim.terminate() }
        var header = ""
        while !header.contains("targets:") {
            guard let chunk = try output.fileHandleForReading.read(upToCount: 1), !chunk.isEmpty else { throw ValidationError("sim exited") }
            header += String(decoding: chunk, as: UTF8.self)
        }
        let istiod = String(header.split(separator: "\n")[0].dropFirst("istiod: ".count))
        var lines = try String(contentsOfFile: simTargets, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let proxyCount = lines.filter { $0.hasPrefix("- url:") }.count
        let hangingCount = Int(Double(proxyCount) * hangingShare / (1 - hangingShare))
        var listeners: [Int32] = []
        for index in 0..<hangingCount {
            let (fd, port) = Self.hangingListener()
            listeners.append(fd)
            lines.append("- url: \"http://127.0.0.1:\(port)\"\n  labels:\n    proxy: \"hung-\(index).default\"")
        }
        defer { listeners.forEach { close($0) } }
        let targets = work.appendingPathComponent("targets.yaml").path
        try lines.joined(separator: "\n").write(toFile: targets, atomically: true, encoding: .utf8)
        print("mesh: \(proxyCount) simulated proxies + \(hangingCount) hanging (\(Int(hangingShare * 100)) % of \(proxyCount + hangingCount) targets)")

        let tmux = Tmux(socket: "meshtop-bench-\(getpid())")
        defer { tmux.run(["kill-server"]) }
        let command = "LANG=C.UTF-8 TERM=tmux-256color MESHTOP_THEMES='\(FileManager.default.currentDirectoryPath)/Themes' '\(binary)' console --istiod \(istiod) --targets-file \(targets) --refresh 1 --timeout 5"
        tmux.run(["new-session", "-d", "-s", "c", "-x", "120", "-y", "40", command])
        guard await tmux.waitFor("c", timeout: 30, { $0.range(of: #"Traffic +[1-9]"#, options: .regularExpression) != nil }).ok else {
            throw ValidationError("console showed no traffic: \(tmux.capture("c"))")
        }
        tmux.run(["send-keys", "-t", "c", "2"])
        _ = await tmux.waitFor("c", timeout: 5) { $0.contains("SERVICE") }
        var latencies: [Double] = []
        for press in 0..<presses {
            let before = tmux.capture("c", escapes: true)
            let start = DispatchTime.now().uptimeNanoseconds
            tmux.run(["send-keys", "-t", "c", press % 2 == 0 ? "j" : "k"])
            var changed = false
            while DispatchTime.now().uptimeNanoseconds - start < 2_000_000_000 {
                if tmux.capture("c", escapes: true) != before { changed = true; break }
            }
            if changed { latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        let sorted = latencies.sorted()
        guard !sorted.isEmpty else { throw ValidationError("no key press changed the screen") }
        print(String(format: "key → frame over %d presses: median %.1f ms, p95 %.1f ms, max %.1f ms (goal < 100 ms)", sorted.count,
                     sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 95 / 100)], sorted.last!))
        print("(includes tmux send-keys and capture-pane round trips, about 2–4 ms each)")
    }

    static func hangingListener() -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        listen(fd, 128)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}

