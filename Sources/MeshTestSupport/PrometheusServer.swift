import Foundation
import MeshSources

/// A real Prometheus (Debian's package) on 127.0.0.1 with a temporary storage folder, stopped by
/// `stop()` and in any case by `timeout` after five minutes.
public final class PrometheusServer: @unchecked Sendable {
    // Safe: every property is set in init and never changed; `process` stops itself.
    public static let binary: String? = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"].first { FileManager.default.isExecutableFile(atPath: $0) }

    public let url: String
    public let directory: URL
    let process: ChildProcess

    /// Starts Prometheus with `config` (a prometheus.yml text).
    public init(config: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configFile = directory.appendingPathComponent("prometheus.yml")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        let port = Self.freePort()
        url = "http://127.0.0.1:\(port)"
        process = try ChildProcess("/usr/bin/timeout", ["300", Self.binary ?? "prometheus", "--config.file=\(configFile.path)",
                                                         "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                                                         "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"],
                                   stderr: directory.appendingPathComponent("prometheus.log").path)
    }

    /// Waits for `/-/ready` (at most 20 s).
    public func waitUntilReady() async throws {
        let client = MeshClient(transport: try DirectHTTPTransport(timeout: 1), policy: .readOnly)
        defer { Task { await client.shutdown() } }
        for _ in 0..<100 {
            if (try? await client.send(MeshRequest(.GET, .url(url), "/-/ready", source: "prometheus"))) != nil { return }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("prometheus.log"), encoding: .utf8)) ?? ""
        throw SourceError(source: "prometheus \(url)", reason: .other("not ready after 20 s: \(log.suffix(2000))"))
    }

    public func stop() {
        process.terminate()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A TCP port nothing listens on right now.
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
