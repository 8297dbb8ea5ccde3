import Foundation
import MeshTestSupport
import Testing

/// `meshtop sim` as a user runs it: the output contract, the targets file, and a clean exit on SIGTERM.
@Suite("meshtop sim command", .timingSensitive, .serialized)
struct CommandTests {
    @Test("First line is the istiod URL; --targets-file lists every proxy; SIGTERM exits 0")
    func contract() async throws {
        let binary = try #require(PackagePaths.meshtop, "build the meshtop executable first (swift build)")
        let targets = FileManager.default.temporaryDirectory.appendingPathComponent("targets-\(UUID().uuidString).yaml")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["sim", "--istiod-port", "0", "--admin-port", "0", "--admin-address-base", "127.0.30.1",
                             "--targets-file", targets.path, "--seed", "5"]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let firstLine = try await Self.readLine(stdout.fileHandleForReading)
        #expect(firstLine.range(of: #"^istiod: http://127\.0\.0\.1:\d+$"#, options: .regularExpression) != nil, "got \(firstLine)")
        // The targets file is written before the "targets:" line.
        var rest = ""
        while !rest.contains("targets:") { rest += try await Self.readLine(stdout.fileHandleForReading) + "\n" }
        let yaml = try String(contentsOf: targets, encoding: .utf8)
        let urls = yaml.split(separator: "\n").filter { $0.hasPrefix("- url: ") }
        #expect(urls.count == 7)
        #expect(yaml.contains("proxy: \"productpage-v1-") && yaml.contains("namespace: \"default\""))

        let istiod = String(firstLine.dropFirst("istiod: ".count))
        #expect(try await TestHTTP.get(istiod + "/debug/syncz", timeout: 5).status == 200)
        let firstURL = String(try #require(urls.first).dropFirst("- url: ".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        #expect(try await TestHTTP.get(firstURL + "/server_info", timeout: 5).status == 200)

        process.terminate() // SIGTERM
        await process.exited()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        try? FileManager.default.removeItem(at: targets)
    }

    @Test("Bad options exit 64 with a message naming the problem")
    func usageErrors() async throws {
        for arguments in [["sim", "--scenario", "meteor-strike"], ["sim", "--admin-address-base", "10.1.1.1"], ["sim", "--rotate-at", "2"]] {
            let result = try await MeshtopProcess.run(arguments)
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
            #expect(!result.stderr.isEmpty)
        }
    }

    /// One line from the child's stdout, read on a thread of its own while the caller suspends.
    static func readLine(_ handle: FileHandle) async throws -> String {
        try await Blocking.run { try readLineHere(handle) }
    }

    static func readLineHere(_ handle: FileHandle) throws -> String {
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let chunk = try handle.read(upToCount: 1) ?? Data()
            guard let byte = chunk.first else { throw CocoaError(.fileReadUnknown) }
            if byte == 0x0A { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        throw CocoaError(.fileReadUnknown)
    }
}
