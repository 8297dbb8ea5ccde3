import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The mesh reached directly over HTTP(S): one shared AsyncHTTPClient keeping a keep-alive
/// connection to every proxy, a deadline per request, a body cap, the transport's bearer token
/// for requests that ask for it, and a CA bundle for HTTPS.
public final class DirectHTTPTransport: MeshTransport {
    let client: HTTPClient
    public let timeout: TimeAmount
    public let bodyLimit: Int
    let credential: Credential?

    /// - Parameters: `caFile` adds a CA bundle for HTTPS; `credential` is sent as a bearer token
    ///   with requests that ask for it (`MeshRequest.authenticate`). Throws only when the CA file
    ///   cannot be loaded, before any client exists.
    public convenience init(timeout: Double = 5, bodyLimit: Int = 64 << 20, credential: Credential? = nil, caFile: String? = nil) throws(SourceError) {
        self.init(timeout: timeout, bodyLimit: bodyLimit, credential: credential, tls: try Self.tls(caFile: caFile))
    }

    /// The TLS configuration trusting `caFile`'s certificates (nil: the system's defaults).
    public static func tls(caFile: String?) throws(SourceError) -> TLSConfiguration? {
        guard let caFile else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        do { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile)) } catch {
            throw SourceError(source: "--ca-file \(caFile)", reason: .tls("cannot load CA certificates: \(error)"))
        }
        return tls
    }

    /// - Parameter dnsOverride: host names to connect elsewhere while the handshake still names
    ///   and verifies them (a kubeconfig's `tls-server-name`).
    public init(timeout: Double = 5, bodyLimit: Int = 64 << 20, credential: Credential? = nil, tls: TLSConfiguration?, dnsOverride: [String: String] = [:]) {
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        configuration.dnsOverride = dnsOverride
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 2)
        // A refused connection fails now, not after the connect timeout of retries: the poller
        // has its own backoff per target, and an operator should see "connection refused" at once.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.http1_1ConnectionDebugInitializer = Self.freshReceiveBuffers
        configuration.timeout = .init(connect: .milliseconds(Int64(timeout * 1000)), read: .milliseconds(Int64(timeout * 1000)))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.timeout = .milliseconds(Int64(timeout * 1000))
        self.bodyLimit = bodyLimit
        self.credential = credential
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

    public func send(_ permitted: PermittedRequest) async throws(SourceError) -> MeshResponse {
        try await send(permitted, bearer: credential)
    }

    /// Sends with `bearer` as the token for a request that asks for one (the Kubernetes
    /// transport's current token, which an exec plugin renews).
    func send(_ permitted: PermittedRequest, bearer: Credential?) async throws(SourceError) -> MeshResponse {
        let request = permitted.request
        guard case let .url(base) = request.endpoint else { throw request.failure(.other("not reachable directly")) }
        var outgoing = HTTPClientRequest(url: base + request.path)
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        if request.authenticate, let bearer { outgoing.headers.add(name: "Authorization", value: "Bearer \(bearer.revealed)") }
        if let accept = request.accept { outgoing.headers.add(name: "Accept", value: accept) }
        if let contentType = request.contentType { outgoing.headers.add(name: "Content-Type", value: contentType) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        let start = DispatchTime.now()
        let deadline = NIODeadline.now() + timeout
        let response: HTTPClientResponse
        do {
            response = try await client.execute(outgoing, deadline: deadline)
        } catch {
            throw request.failure(Self.reason(error))
        }
        let body: [UInt8]
        do {
            let contentLength = response.headers.first(name: "Content-Length").flatMap { Int($0) }
            body = try await Self.collect(response.body, contentLength: contentLength, upTo: bodyLimit, before: deadline)
        } catch is NIOTooManyBytesError {
            throw request.failure(.tooLarge(limit: bodyLimit))
        } catch is BodyDeadlineExceeded {
            throw request.failure(.bodyTimedOut(seconds: Double(timeout.nanoseconds) / 1e9))
        } catch {
            throw request.failure(.bodyNotRead(Self.reason(error)))
        }
        let latency = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        if response.status.code == 429 {
            let retryAfter = response.headers.first(name: "Retry-After").flatMap(Double.init) ?? 1
            throw request.failure(.throttled(retryAfter: retryAfter))
        }
        return try Self.accept(status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"), body: body,
                               latencyMs: latency, for: request)
    }

    /// An answer as a response, or the failure its status means: 401 and 403 are `.auth`, any
    /// other status the request does not accept an HTTP error; an HTML page is not the API.
    static func accept(status: Int, contentType: String?, body: [UInt8], latencyMs: Double, for request: MeshRequest) throws(SourceError) -> MeshResponse {
        guard status == 200 || request.alsoAccept.contains(status) else {
            let text = String(decoding: body.prefix(400), as: UTF8.self)
            switch status {
            case 401: throw request.failure(.auth(.unauthorized(body: text)))
            case 403: throw request.failure(.auth(.forbidden(body: text)))
            default: throw request.failure(.httpStatus(status, body: text))
            }
        }
        // None of the APIs polled serves HTML; a page means something else answered (a login
        // proxy, an ingress error page), and saying so beats a parse error at line 1.
        if let contentType, contentType.lowercased().hasPrefix("text/html") {
            throw request.failure(.htmlAnswer)
        }
        return MeshResponse(status: status, body: body, latencyMs: latencyMs)
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

    /// What AsyncHTTPClient and NIO reported, as a reason, decided by their error types.
    static func reason(_ error: any Error) -> SourceError.Reason {
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return .timedOut
            case .remoteConnectionClosed: return .connectionClosed
            default: return .other("\(error)")
            }
        case let error as NIOConnectionError:
            // Every address tried: refused or timed out anywhere means unreachable (an IPv6
            // attempt failing otherwise must not hide the IPv4 refusal).
            let reasons = error.connectionErrors.map { reason($0.error) }
            return reasons.first(where: \.isUnreachable) ?? reasons.first ?? .other("\(error)")
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED: return .connectionRefused
            case ECONNRESET: return .connectionReset
            case EPIPE: return .connectionClosed
            case ETIMEDOUT: return .timedOut
            default: return .other("\(error)")
            }
        case let error as ChannelError:
            switch error {
            case .connectTimeout: return .timedOut
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed: return .connectionClosed
            default: return .other("\(error)")
            }
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError:
            return .tls(tlsWords(error))
        default:
            return .other("\(error)")
        }
    }

    /// A failed handshake in words, for the two an operator meets (the wrong CA, a certificate
    /// for another name); anything else in BoringSSL's words.
    static func tlsWords(_ error: any Error) -> String {
        let text = "\(error)"
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return "the server's certificate does not name the host connected to "
                + "(a kubeconfig names one it does carry with tls-server-name)"
        }
        if ["CERTIFICATE_VERIFY_FAILED", "BAD_SIGNATURE", "unable to get local issuer", "self signed certificate"].contains(where: text.contains) {
            return "the server's certificate is not signed by a CA this connection trusts "
                + "(a kubeconfig's certificate-authority, or --ca-file)"
        }
        return text
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    /// A transport released without `shutdown()` (an error thrown between its creation and its
    /// shutdown) still closes its connections: the client keeps itself alive until that is done.
    /// Without this, AsyncHTTPClient traps in debug builds on a client released running, and a
    /// test that fails a `#require` took the whole suite down (signal 4) instead of failing.
    deinit {
        _ = client.shutdown()
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
