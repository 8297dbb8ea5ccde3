import ArgumentParser
import Foundation
import MeshTestSupport

/// `meshtop sim` for a benchmark: the smallest generated mesh of at least `proxies` proxies,
/// as a separate process (MeshTestSupport's `SimProcess`), built first if needed.
struct BenchSim {
    let process: SimProcess
    let services: Int

    var istiod: String { process.istiod }
    var targetsPath: String { process.targets }
    var startup: Double { process.startup }
    var pid: Int32 { process.process.processIdentifier }

    init(proxies: Int, adminAddressBase: String, meshtop: String?, step: Int = 5, extraArguments: [String] = []) throws {
        services = try SimProcess.services(forProxies: proxies, adminAddressBase: adminAddressBase, step: step)
        var binary = meshtop.map { URL(fileURLWithPath: $0) } ?? PackagePaths.executable("meshtop")
        if binary == nil {
            try Self.buildSimulator()
            binary = PackagePaths.executable("meshtop")
        }
        process = try SimProcess(["--services", String(services)] + extraArguments, adminAddressBase: adminAddressBase, binary: binary)
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

    func adminURLs() throws -> [String] { try process.adminURLs() }

    func stop() { process.stop() }
}
