import ArgumentParser
import AsyncHTTPClient
import Foundation
import MeshSim
import NIOCore

/// Starts `meshtop sim` with a generated mesh of at least `--proxies` proxies as a separate
/// process, loads its admin APIs with concurrent requests, and reports latency percentiles per
/// endpoint and the simulator's resident memory. Goals (issue 2): RSS < 300 MB, median < 20 ms.
struct SimLoadBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim-load",
        abstract: "Resident memory and admin-API latency of a large simulated mesh under concurrent load.")

    @Option(help: "Minimum number of proxies in the generated mesh.") var proxies: Int = 1000
    @Option(help: "Concurrent requests in flight.") var concurrency: Int = 16
    @Option(help: "Requests per endpoint.") var requests: Int = 2000
    @Option(help: "Path of the meshtop binary (default: next to this one).") var meshtop: String?
    @Option(help: "First loopback address for the simulated proxies.") var adminAddressBase: String = "127.0.100.1"

    func run() async throws {
        let sim = try BenchSim(proxies: proxies, adminAddressBase: adminAddressBase, meshtop: meshtop)
        defer { sim.stop() }
        let process = sim.process.process, pid = sim.pid, services = sim.services, startup = sim.startup
        let urls = try sim.adminURLs()
        print("meshtop sim --services \(services): \(urls.count) proxies, ready in \(String(format: "%.2f", startup)) s")
        print("RSS after start: \(Self.memory(pid: pid))")

        let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                configuration: HTTPClient.Configuration(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 4)))
        print("concurrency \(concurrency), \(requests) requests per endpoint")
        print(Self.pad("endpoint (random proxy each request)", 64) + ["p50 ms", "p95 ms", "p99 ms", "req/s", "avg KiB"].map { Self.pad($0, 9, left: true) }.joined())
        let endpoints = ["/stats/prometheus", "/config_dump", "/config_dump?resource=dynamic_active_clusters&mask=cluster.name",
                         "/clusters?format=json", "/certs", "/server_info"]
        for path in endpoints {
            let result = try await load(client: client, urls: urls.map { $0 + path })
            print(result.line(path))
        }
        let syncz = try await load(client: client, urls: Array(repeating: sim.istiod + "/debug/syncz", count: 1), total: 200)
        print(syncz.line("istiod /debug/syncz"))
        print("RSS after load: \(Self.memory(pid: pid))")
        try await client.shutdown()
        process.terminate()
        process.waitUntilExit()
        print("meshtop sim exit status after SIGTERM: \(process.terminationStatus)")
    }

    struct Result {
        var latencies: [Double]
        var seconds: Double
        var bytes: Int

        func percentile(_ p: Double) -> Double {
            let sorted = latencies.sorted()
            return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }

        func line(_ name: String) -> String {
            SimLoadBench.pad(name, 64) + [String(format: "%.2f", percentile(0.5)), String(format: "%.2f", percentile(0.95)),
                                          String(format: "%.2f", percentile(0.99)), String(format: "%.0f", Double(latencies.count) / seconds),
                                          String(format: "%.1f", Double(bytes) / Double(latencies.count) / 1024)]
                .map { SimLoadBench.pad($0, 9, left: true) }.joined()
        }
    }

    /// `total` requests to random URLs with `concurrency` in flight; latency per request in ms.
    func load(client: HTTPClient, urls: [String], total: Int? = nil) async throws -> Result {
        let count = total ?? requests
        let start = DispatchTime.now()
        var latencies: [Double] = []
        var bytes = 0
        try await withThrowingTaskGroup(of: (Double, Int).self) { group in
            var issued = 0
            func issue() {
                let url = urls[Int.random(in: 0..<urls.count)]
                group.addTask {
                    let begin = DispatchTime.now()
                    let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
                    let body = try await response.body.collect(upTo: 256 << 20)
                    guard response.status == .ok else { throw ValidationError("\(url): HTTP \(response.status.code)") }
                    return (Double(DispatchTime.now().uptimeNanoseconds - begin.uptimeNanoseconds) / 1e6, body.readableBytes)
                }
                issued += 1
            }
            for _ in 0..<min(concurrency, count) { issue() }
            while let (latency, size) = try await group.next() {
                latencies.append(latency)
                bytes += size
                if issued < count { issue() }
            }
        }
        return Result(latencies: latencies, seconds: Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9, bytes: bytes)
    }

    static func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(1, width - text.count))
        return left ? padding + text : text + padding
    }

    static func memory(pid: Int32) -> String {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return "unknown" }
        let fields = status.split(separator: "\n").filter { $0.hasPrefix("VmRSS") || $0.hasPrefix("VmHWM") }
        return fields.map { $0.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "  ", with: "") }.joined(separator: ", ")
    }
}
