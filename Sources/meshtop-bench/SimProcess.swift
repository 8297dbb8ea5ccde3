import ArgumentParser
import Foundation
import MeshSim

/// `meshtop sim` as a separate process with the smallest generated mesh of at least `proxies`
/// proxies: its istiod URL, targets file and admin URLs, once it printed them.
final class SimProcess {
    let process = Process()
    let services: Int
    let targetsPath: String
    var istiod = ""
    /// Seconds from launch to the endpoints being listed.
    var startup = 0.0

    init(proxies: Int, adminAddressBase: String, meshtop: String?, step: Int = 5, extraArguments: [String] = []) throws {
        var services = max(2, proxies / 4)
        while try SimTopology.generated(services: services, seed: 1, adminBase: adminAddressBase).proxies.count < proxies { services += step }
        self.services = services
        let binary = meshtop ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("meshtop").path
        if meshtop == nil, !FileManager.default.isExecutableFile(atPath: binary) { try Self.buildSimulator() }
        targetsPath = FileManager.default.temporaryDirectory.appendingPathComponent("bench-targets-\(getpid())-\(adminAddressBase).yaml").path
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["sim", "--services", String(services), "--istiod-port", "0", "--admin-address-base", adminAddressBase,
                             "--targets-file", targetsPath] + extraArguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let started = Date()
        try process.run()
        var header = ""
        while !header.contains("targets:") {
            guard let chunk = try output.fileHandleForReading.read(upToCount: 1), !chunk.isEmpty else {
                stop()
                throw ValidationError("meshtop sim exited early: \(header)")
            }
            header += String(decoding: chunk, as: UTF8.self)
        }
        startup = Date().timeIntervalSince(started)
        istiod = String(header.split(separator: "\n")[0].dropFirst("istiod: ".count))
    }

    /// `swift run -c release meshtop-bench` builds only the benchmarks: build the `meshtop`
    /// executable (the simulator) beside them the first time it is needed.
    static func buildSimulator() throws {
        FileHandle.standardError.write(Data("meshtop-bench: building the meshtop executable (the simulator): swift build -c release --product meshtop\n".utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "build", "-c", "release", "--product", "meshtop"]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("could not build meshtop; run `swift build -c release` first") }
    }

    /// The proxies' admin base URLs from the targets file.
    func adminURLs() throws -> [String] {
        try String(contentsOfFile: targetsPath, encoding: .utf8).split(separator: "\n")
            .filter { $0.hasPrefix("- url: ") }.map { $0.dropFirst("- url: ".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: targetsPath)
    }
}
