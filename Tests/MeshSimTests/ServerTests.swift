import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import MeshTestSupport
import Testing
@testable import MeshSim

/// The simulator over real sockets: istiod and per-proxy admin listeners on loopback.
@Suite("HTTP server", .timingSensitive, .serialized)
struct ServerTests {
    static func get(_ client: HTTPClient, _ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = []) async throws -> (Int, String, String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), response.headers.first(name: "content-type") ?? "", String(buffer: body))
    }

    static func withServer(_ configure: (inout SimOptions) -> Void, _ body: (SimServer, String, HTTPClient) async throws -> Void) async throws {
        var options = SimOptions()
        options.istiodPort = 0
        options.adminPort = 0
        configure(&options)
        let server = SimServer(simulator: try MeshSimulator(options: options), threads: 2)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let istiod = try await server.start()
            try await body(server, istiod, client)
        } catch {
            try? await client.shutdown()
            await server.shutdown()
            throw error
        }
        try await client.shutdown()
        await server.shutdown()
    }

    @Test("istiod and every proxy answer with the documented content types; requests are logged")
    func endpoints() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-requests-\(UUID().uuidString).log").path
        try await Self.withServer({ $0.adminAddressBase = "127.0.20.1"; $0.requestLogPath = log }) { server, istiod, client in
            for path in ["/debug/syncz", "/debug/registryz", "/debug/configz", "/debug/endpointz"] {
                let (status, type, body) = try await Self.get(client, istiod + path)
                // endpointz is an object keyed by host; the others are arrays.
                #expect(status == 200 && type == "application/json" && body.hasPrefix(path == "/debug/endpointz" ? "{" : "["), "\(path)")
            }
            let (versionStatus, _, version) = try await Self.get(client, istiod + "/version")
            #expect(versionStatus == 200 && version.range(of: #"^1\.24\.2-[0-9a-f]{40}-Clean$"#, options: .regularExpression) != nil)
            let urls = server.adminURLs()
            #expect(urls[1]!.hasPrefix("http://127.0.20.2:"))
            for index in urls.keys.sorted() {
                let base = urls[index]!
                let (status, type, text) = try await Self.get(client, base + "/stats/prometheus")
                #expect(status == 200 && type.hasPrefix("text/plain"))
                #expect(throws: Never.self) { try ExpositionCheck.parse(text) }
                for path in ["/server_info", "/clusters?format=json", "/certs", "/config_dump", "/listeners?format=json", "/stats?format=json"] {
                    let (code, contentType, body) = try await Self.get(client, base + path)
                    #expect(code == 200 && contentType == "application/json", "\(base)\(path)")
                    #expect((try? JSONSerialization.jsonObject(with: Data(body.utf8))) != nil, "\(path) is JSON")
                }
                let (readyStatus, _, ready) = try await Self.get(client, base + "/ready")
                #expect(readyStatus == 200 && ready == "LIVE\n")
            }
            let (headStatus, _, headBody) = try await Self.get(client, urls[1]! + "/server_info", method: .HEAD)
            #expect(headStatus == 200 && headBody.isEmpty)
            let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 6 + 7 * 8)
            let fields = lines.last!.split(separator: " ")
            #expect(fields.count == 4 && Double(fields[0]) != nil && fields[1] == "HEAD" && fields[2].hasPrefix("127.0.20.2:") && fields[3] == "/server_info")
        }
        try? FileManager.default.removeItem(atPath: log)
    }

    @Test("Debug access: 401 without a token, full access with it, 403 outside a namespace token's scope")
    func tokens() async throws {
        try await Self.withServer({
            $0.adminAddressBase = "127.0.21.1"
            $0.token = "system-token"
            $0.namespaceTokens = ["default": "ns-token"]
            $0.requireTokenFromLoopback = true
        }) { _, istiod, client in
            #expect(try await Self.get(client, istiod + "/debug/syncz").0 == 401)
            #expect(try await Self.get(client, istiod + "/debug/syncz", headers: [("Authorization", "Bearer wrong")]).0 == 401)
            #expect(try await Self.get(client, istiod + "/debug/syncz", headers: [("Authorization", "Bearer system-token")]).0 == 200)
            #expect(try await Self.get(client, istiod + "/debug/syncz", headers: [("Authorization", "Bearer ns-token")]).0 == 403)
            let own = try await Self.get(client, istiod + "/debug/config_dump?proxyID=details-not-a-pod.default", headers: [("Authorization", "Bearer ns-token")])
            #expect(own.0 == 404, "allowed, but no such proxy")
            #expect(try await Self.get(client, istiod + "/debug/config_dump?proxyID=x.istio-system", headers: [("Authorization", "Bearer ns-token")]).0 == 403)
            #expect(try await Self.get(client, istiod + "/version").0 == 200, "/version is not a debug path")
        }
    }

    @Test("Loopback callers need no token; istiod's own config_dump answers for a connected proxy")
    func loopbackAndConfigDump() async throws {
        try await Self.withServer({ $0.adminAddressBase = "127.0.22.1"; $0.token = "t" }) { server, istiod, client in
            #expect(try await Self.get(client, istiod + "/debug/syncz").0 == 200)
            let id = server.simulator.topology.proxies[1].id
            let (status, _, body) = try await Self.get(client, istiod + "/debug/config_dump?proxyID=\(id)")
            #expect(status == 200 && body.contains("ClustersConfigDump"))
            #expect(try await Self.get(client, istiod + "/debug/config_dump").0 == 400)
            #expect(try await Self.get(client, istiod + "/debug/config_dump?proxyID=nope.default").0 == 404)
        }
    }

    @Test("A proxy that goes down stops listening and comes back on the same address")
    func proxyDownListener() async throws {
        try await Self.withServer({
            $0.adminAddressBase = "127.0.23.1"
            $0.scenarios = [try! ScenarioEvent.parse(inline: "proxy-down proxy=details at=1s for=2s")]
        }) { server, _, client in
            let details = server.simulator.read { $0.proxy(matching: "details")! }
            let url = server.adminURLs()[details]! + "/ready"
            #expect(try await Self.get(client, url).0 == 200)
            try await Task.sleep(nanoseconds: 1_500_000_000)
            _ = server.simulator.tick()
            try await server.reconcile()
            await #expect(throws: (any Error).self) { _ = try await Self.get(client, url) }
            try await Task.sleep(nanoseconds: 2_000_000_000)
            _ = server.simulator.tick()
            try await server.reconcile()
            #expect(try await Self.get(client, url).0 == 200)
            #expect(server.adminURLs()[details]! + "/ready" == url)
        }
    }

    @Test("A child process started while the proxies listen holds none of their sockets: a proxy that went down binds its address again")
    func childKeepsNoListener() async throws {
        try await Self.withServer({
            $0.adminAddressBase = "127.0.24.1"
            $0.scenarios = [try! ScenarioEvent.parse(inline: "proxy-down proxy=details at=1s for=2s")]
        }) { server, _, client in
            // NIO opens sockets without close-on-exec: a child spawned now (as the suite spawns
            // Prometheus and tmux) would keep every listener open after this process closes it.
            let child = try ChildProcess("/bin/sleep", ["30"])
            defer { child.terminate() }
            let details = server.simulator.read { $0.proxy(matching: "details")! }
            let url = server.adminURLs()[details]! + "/ready"
            try await Task.sleep(nanoseconds: 1_500_000_000)
            _ = server.simulator.tick()
            try await server.reconcile()
            let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.pid)/fd").compactMap(Int.init)
            #expect(open.sorted() == [0, 1, 2], "descriptors the child inherited: \(open.sorted())")
            try await Task.sleep(nanoseconds: 2_000_000_000)
            _ = server.simulator.tick()
            try await server.reconcile()
            #expect(try await Self.get(client, url).0 == 200)
        }
    }
}
