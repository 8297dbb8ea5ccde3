import Foundation
import MeshSim
import MeshSources

/// The simulator in this process, on real loopback sockets: istiod's URL and every proxy as a
/// scrape target (with the labels a targets file gives them).
public struct InProcessSim: Sendable {
    public let server: SimServer
    public let istiod: String
    public let targets: [ScrapeTarget]

    public var simulator: MeshSimulator { server.simulator }

    /// Starts a simulator whose proxies listen from `adminAddressBase` on (ports picked by the
    /// system); `configure` adjusts its options.
    public static func start(adminAddressBase: String, threads: Int = 2,
                             _ configure: (inout SimOptions) throws -> Void = { _ in }) async throws -> InProcessSim {
        var options = SimOptions()
        options.istiodPort = 0
        options.adminPort = 0
        options.adminAddressBase = adminAddressBase
        try configure(&options)
        let server = SimServer(simulator: try MeshSimulator(options: options), threads: threads)
        let istiod = try await server.start()
        return InProcessSim(server: server, istiod: istiod, targets: Self.targets(server))
    }

    /// The targets file's entries as scrape targets.
    public static func targets(_ server: SimServer) -> [ScrapeTarget] {
        TargetsFile.targets(topology: server.simulator.topology, urls: server.adminURLs()).map {
            ScrapeTarget(url: $0.url, labels: Dictionary(uniqueKeysWithValues: $0.labels))
        }
    }

    /// Runs `body` with a started simulator and shuts it down afterwards, also when `body` throws.
    public static func with<T>(adminAddressBase: String, threads: Int = 2, _ configure: (inout SimOptions) throws -> Void = { _ in },
                               _ body: (InProcessSim) async throws -> T) async throws -> T {
        let sim = try await start(adminAddressBase: adminAddressBase, threads: threads, configure)
        do {
            let result = try await body(sim)
            await sim.server.shutdown()
            return result
        } catch {
            await sim.server.shutdown()
            throw error
        }
    }
}

/// One GET through a fresh read-only client, for tests that look at an endpoint themselves.
public enum TestHTTP {
    public static func get(_ url: String, timeout: Double = 10) async throws -> (status: Int, body: String) {
        guard let split = url.range(of: "/", options: [], range: url.index(url.startIndex, offsetBy: min(url.count, 8))..<url.endIndex) else {
            throw SourceError(source: url, reason: .other("not a URL with a path"))
        }
        let client = MeshClient(transport: try DirectHTTPTransport(timeout: timeout), policy: .readOnly)
        defer { Task { await client.shutdown() } }
        let response = try await client.send(MeshRequest(.GET, .url(String(url[..<split.lowerBound])), String(url[split.lowerBound...]), source: "test",
                                                         alsoAccept: Set(100...599)))
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    /// The body of a GET, as bytes.
    public static func getData(_ url: String, timeout: Double = 10) async throws -> Data {
        Data(try await get(url, timeout: timeout).body.utf8)
    }
}
