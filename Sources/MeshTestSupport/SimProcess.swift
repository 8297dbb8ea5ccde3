import Foundation
import MeshSim

/// `meshtop sim` as a separate process, as a user runs it: its istiod URL and targets file once
/// it printed them; stopped by `stop()`.
public final class SimProcess: @unchecked Sendable {
    // Safe: set in init, read afterwards; `process` is only terminated from `stop()`.
    public let process = Process()
    public let targets: String
    public private(set) var istiod = ""
    /// Seconds from launch to the endpoints being listed.
    public private(set) var startup = 0.0

    public struct Failed: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts `meshtop sim ARGUMENTS` with its proxies from `adminAddressBase` on; `binary`
    /// defaults to the package's `meshtop`.
    public init(_ arguments: [String], adminAddressBase: String, binary: URL? = nil) throws {
        guard let executable = binary ?? PackagePaths.meshtop else { throw MeshtopProcess.NotBuilt() }
        targets = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-targets-\(getpid())-\(UUID().uuidString.prefix(8)).yaml").path
        process.executableURL = executable
        process.arguments = ["sim", "--istiod-port", "0", "--admin-port", "0", "--admin-address-base", adminAddressBase, "--targets-file", targets]
            + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let started = Date()
        try process.run()
        var header = ""
        while !header.contains("targets:") {
            guard let chunk = try output.fileHandleForReading.read(upToCount: 1), !chunk.isEmpty else {
                stop()
                throw Failed(description: "meshtop sim exited early: \(header)")
            }
            header += String(decoding: chunk, as: UTF8.self)
        }
        startup = Date().timeIntervalSince(started)
        istiod = String(header.split(separator: "\n")[0].dropFirst("istiod: ".count))
    }

    /// Starts it on a thread of its own while the caller suspends (start-up takes a second or
    /// more; see `Blocking`).
    public static func start(_ arguments: [String], adminAddressBase: String, binary: URL? = nil) async throws -> SimProcess {
        try await Blocking.run { try SimProcess(arguments, adminAddressBase: adminAddressBase, binary: binary) }
    }

    /// The smallest generated mesh with at least `proxies` proxies, as a number of services.
    public static func services(forProxies proxies: Int, adminAddressBase: String, step: Int = 5) throws -> Int {
        var services = max(2, proxies / 4)
        while try SimTopology.generated(services: services, seed: 1, adminBase: adminAddressBase).proxies.count < proxies { services += step }
        return services
    }

    /// The proxies' admin base URLs from the targets file.
    public func adminURLs() throws -> [String] {
        try String(contentsOfFile: targets, encoding: .utf8).split(separator: "\n")
            .filter { $0.hasPrefix("- url: ") }.map { $0.dropFirst("- url: ".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: targets)
    }
}
