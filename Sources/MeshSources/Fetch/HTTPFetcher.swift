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
    let bearerToken: Credential?

    /// - Parameters: `caFile` adds a CA bundle for HTTPS istiod; `bearerToken` is sent to istiod.
    public init(timeout: Double = 5, bodyLimit: Int = 64 << 20, bearerToken: Credential? = nil, caFile: String? = nil) throws {
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
        configuration.http1_1ConnectionDebugInitializer = Self.freshReceiveBuffers
        configuration.timeout = .init(connect: .milliseconds(Int64(timeout * 1000)), read: .milliseconds(Int64(timeout * 1000)))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.timeout = .milliseconds(Int64(timeout * 1000))
        self.bodyLimit = bodyLimit
        self.bearerToken = bearerToken
    }

    /// Every keep-alive connection keeps its pooled receive buffer while idle, and the poller
    /// keeps one to every proxy. NIO's default pools four buffers of up to 64 KB per connection;
    /// at 1,000 proxies that was 250 MB of the poller's heap, and one pooled buffer of 32 KB
    /// still held 164 MB at 5,000 (heaptrack). Closing idle connections instead cost 23 % more
    /// CPU per cycle (reconnecting to every proxy). So reads get fresh buffers that are freed
    /// once the body has been copied out, and only the first, tiny one stays pooled
    /// (`FreshReadBuffers`); one read per wake-up keeps the pool at that one buffer.
    @Sendable static func freshReceiveBuffers(_ channel: Channel) -> EventLoopFuture<Void> {
        channel.setOption(ChannelOptions.maxMessagesPerRead, value: 1).flatMap {
            channel.setOption(ChannelOptions.recvAllocator, value: FreshReadBuffers())
        }
    }

    /// Fetches `url`; `source` names it in errors ("istiod …", "proxy reviews-v1-… "). Statuses
    /// other than 200 throw unless listed in `alsoAccept` (APIs whose error bodies say why).
    public func get(_ url: String, source: String, authenticate: Bool = false, accept: String? = nil,
                    alsoAccept: Set<Int> = []) async throws -> Response {
        let shownURL = SecretRedaction.url(url)
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        if authenticate, let bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(bearerToken.revealed)") }
        if let accept { request.headers.add(name: "Accept", value: accept) }
        let start = DispatchTime.now()
        let deadline = NIODeadline.now() + timeout
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, deadline: deadline)
        } catch {
            throw SourceError(source: "\(source) \(shownURL)", reason: Self.describe(error))
        }
        let body: [UInt8]
        do {
            let contentLength = response.headers.first(name: "Content-Length").flatMap { Int($0) }
            body = try await Self.collect(response.body, contentLength: contentLength, upTo: bodyLimit, before: deadline)
        } catch is NIOTooManyBytesError {
            throw SourceError(source: "\(source) \(shownURL)", reason: "body larger than \(bodyLimit) bytes (--max-body)")
        } catch is BodyDeadlineExceeded {
            let seconds = Double(timeout.nanoseconds) / 1e9
            throw SourceError(source: "\(source) \(shownURL)", reason: "timed out: the body was still arriving after \(seconds.formatted()) s")
        } catch {
            throw SourceError(source: "\(source) \(shownURL)", reason: "body not read: \(Self.describe(error))")
        }
        let latency = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        guard response.status.code == 200 || alsoAccept.contains(Int(response.status.code)) else {
            var reason = "HTTP \(response.status.code)"
            if response.status.code == 401 { reason += " — supply --token-file" }
            if response.status.code == 403 { reason += " — the token's identity may not read this path" }
            let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { reason += " (\(text))" }
            throw SourceError(source: "\(source) \(shownURL)", reason: reason)
        }
        // None of the APIs polled serves HTML; a page means something else answered (a login
        // proxy, an ingress error page), and saying so beats a parse error at line 1.
        if let type = response.headers.first(name: "Content-Type"), type.lowercased().hasPrefix("text/html") {
            throw SourceError(source: "\(source) \(shownURL)", reason: "answered an HTML page (Content-Type: text/html), not the API — is a proxy or login page in front of it?")
        }
        return Response(status: Int(response.status.code), body: body, latency: latency)
    }

    struct BodyDeadlineExceeded: Error {}

    /// Collects a body, but not past `deadline`: AsyncHTTPClient's deadline ends when the head
    /// arrives and its read timeout restarts with every byte, so a proxy sending one byte a
    /// second would otherwise hold a poll for as long as its body lasts. The deadline is checked
    /// as each chunk arrives; a body that stops arriving altogether is ended by the read timeout
    /// (the same length), so a request takes at most twice the deadline. Leaving the loop
    /// early drops the body, and AsyncHTTPClient closes the connection.
    ///
    /// (A task group racing the collection against a sleep ended it exactly at the deadline,
    /// but with this toolchain every request leaked its child tasks and part of its body:
    /// 30 MB over an hour of the soak benchmark, found with heaptrack.)
    static func collect(_ body: HTTPClientResponse.Body, contentLength: Int?, upTo limit: Int, before deadline: NIODeadline) async throws -> [UInt8] {
        // Refused from the header before a byte is read, as AsyncHTTPClient's own `collect` does.
        if let contentLength, contentLength > limit { throw NIOTooManyBytesError(maxBytes: limit) }
        // Straight into the array the parsers read: one allocation and one copy per body.
        var collected: [UInt8] = []
        collected.reserveCapacity(contentLength ?? 0)
        for try await chunk in body {
            guard NIODeadline.now() < deadline else { throw BodyDeadlineExceeded() }
            guard collected.count + chunk.readableBytes <= limit else { throw NIOTooManyBytesError(maxBytes: limit) }
            collected.append(contentsOf: chunk.readableBytesView)
        }
        return collected
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
        if text.contains("Connection reset by peer") || text.contains("errno: 104") { return "connection reset by peer" }
        return text
    }

    public func shutdown() async {
        try? await client.shutdown()
    }
}

/// A receive allocator whose buffers NIO's per-channel pool does not keep. The pool reuses (and so
/// keeps for the life of the connection) a buffer only when the allocator names a size
/// (`nextBufferSize`) or says reads will not grow (`record` returning false); this one does
/// neither, so each read after the first gets a new buffer that lives as long as its bytes.
/// The first read (the one the pool stores) is given a tiny buffer.
struct FreshReadBuffers: RecvByteBufferAllocator {
    /// Bytes per read once the connection has read anything: a 280 KB stats body in ~5 reads.
    static let readSize = 64 << 10
    static let firstReadSize = 256
    private var hasRead = false

    func buffer(allocator: ByteBufferAllocator) -> ByteBuffer {
        allocator.buffer(capacity: hasRead ? Self.readSize : Self.firstReadSize)
    }

    func nextBufferSize() -> Int? { nil }

    mutating func record(actualReadBytes: Int) -> Bool {
        hasRead = true
        return true
    }
}
