import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// GETs with a deadline and a body-size cap over one shared AsyncHTTPClient (keep-alive
/// connections to every proxy). Read-only by construction: it has no way to send anything else.
public final class HTTPFetcher: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
        public var latency: Double
    }

    let client: HTTPClient
    public let timeout: TimeAmount
    public let bodyLimit: Int
    let bearerToken: String?

    /// - Parameters: `caFile` adds a CA bundle for HTTPS istiod; `bearerToken` is sent to istiod.
    public init(timeout: Double = 5, bodyLimit: Int = 64 << 20, bearerToken: String? = nil, caFile: String? = nil) throws {
        var configuration = HTTPClient.Configuration()
        if let caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            do { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile)) } catch {
                throw SourceError(source: "--ca-file \(caFile)", reason: "cannot load CA certificates: \(error)")
            }
            configuration.tlsConfiguration = tls
        }
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 2)
        // A refused connection fails now, not after the connect timeout of retries: the poller
        // has its own backoff per target, and an operator should see "connection refused" at once.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .milliseconds(Int64(timeout * 1000)), read: .milliseconds(Int64(timeout * 1000)))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.timeout = .milliseconds(Int64(timeout * 1000))
        self.bodyLimit = bodyLimit
        self.bearerToken = bearerToken
    }

    /// Fetches `url`; `source` names it in errors ("istiod …", "proxy reviews-v1-… "). Statuses
    /// other than 200 throw unless listed in `alsoAccept` (APIs whose error bodies say why).
    public func get(_ url: String, source: String, authenticate: Bool = false, accept: String? = nil,
                    alsoAccept: Set<Int> = []) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        if authenticate, let bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(bearerToken)") }
        if let accept { request.headers.add(name: "Accept", value: accept) }
        let start = DispatchTime.now()
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw SourceError(source: "\(source) \(url)", reason: Self.describe(error))
        }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: bodyLimit)
        } catch is NIOTooManyBytesError {
            throw SourceError(source: "\(source) \(url)", reason: "body larger than \(bodyLimit) bytes (--max-body)")
        } catch {
            throw SourceError(source: "\(source) \(url)", reason: "body not read: \(Self.describe(error))")
        }
        let latency = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        guard response.status.code == 200 || alsoAccept.contains(Int(response.status.code)) else {
            var reason = "HTTP \(response.status.code)"
            if response.status.code == 401 { reason += " — supply --token-file" }
            if response.status.code == 403 { reason += " — the token's identity may not read this path" }
            let text = String(decoding: body.readableBytesView.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { reason += " (\(text))" }
            throw SourceError(source: "\(source) \(url)", reason: reason)
        }
        return Response(status: Int(response.status.code), body: Array(body.readableBytesView), latency: latency)
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "timed out"
            case .remoteConnectionClosed: return "connection closed by the server"
            default: return "\(error)"
            }
        }
        let text = "\(error)"
        if text.contains("connection refused") || text.contains("Connection refused") { return "connection refused" }
        return text
    }

    public func shutdown() async {
        try? await client.shutdown()
    }
}
