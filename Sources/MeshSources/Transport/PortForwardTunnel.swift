import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Synchronization

/// One port-forward into a pod, carrying one keep-alive HTTP/1.1 connection to one of its ports
/// (mesh-apis.md §9.3): a WebSocket to the API server's `pods/NAME/portforward?ports=PORT` with
/// subprotocol `v4.channel.k8s.io`; channel 0 carries the stream, channel 1 errors, the first
/// message on each is the port. An HTTP client codec runs over the stream, one exchange at a
/// time; anything on the error channel ends the tunnel with the runtime's words.
final class PortForwardTunnel: Sendable {
    let channel: any Channel
    let key: PortForwardKey
    /// What the kubelet said on the error channel, kept past the tunnel's close: an error that
    /// arrives before a request is in flight still names the cause of the next failure.
    let errorText: TunnelErrorText

    private init(channel: any Channel, key: PortForwardKey, errorText: TunnelErrorText) {
        self.channel = channel
        self.key = key
        self.errorText = errorText
    }

    /// Opens the WebSocket and waits for the upgrade; a refusal (401, 403, 404 …) is an error
    /// carrying the API server's Status message.
    static func open(_ key: PortForwardKey, api: KubeAPIAccess, token: Credential?, timeout: TimeAmount) async throws(SourceError) -> PortForwardTunnel {
        let failure = { (reason: SourceError.Reason) in SourceError(source: "port-forward \(key)", reason: reason) }
        guard let url = URL(string: api.server), let host = url.host else { throw failure(.other("bad API server URL \(api.server)")) }
        let port = url.port ?? (url.scheme == "http" ? 80 : 443)
        let context: NIOSSLContext?
        let tls = try await api.tlsNow().tls
        do { context = url.scheme == "https" ? try NIOSSLContext(configuration: tls) : nil } catch {
            throw failure(.tls("\(error)"))
        }
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let opened = eventLoop.makePromise(of: Void.self)
        let errorText = TunnelErrorText()
        let requestKey = PortForwardHandshake.randomKey()
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: api.tlsServerName ?? (host.first?.isNumber == true ? nil : host)))
                    }
                    try channel.pipeline.syncOperations.addHandler(PortForwardHandshake(
                        opened: opened, requestKey: requestKey,
                        stream: { [PortForwardFraming(ready: opened, errorText: errorText), HTTPRequestEncoder(),
                                   ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)), TunnelExchange()] }))
                }
            }
        let channel: any Channel
        do { channel = try await bootstrap.connect(host: host, port: port).get() } catch {
            throw failure(DirectHTTPTransport.reason(error))
        }
        let path = "/api/v1/namespaces/\(key.namespace)/pods/\(key.pod)/portforward?ports=\(key.port)"
        let request = PortForwardHandshake.request(path: path, host: "\(host):\(port)", key: requestKey, token: token)
        channel.writeAndFlush(ByteBuffer(bytes: request), promise: nil)
        let deadline = eventLoop.scheduleTask(in: timeout) { opened.fail(TunnelFailure.timedOut) }
        do {
            try await opened.futureResult.get()
            deadline.cancel()
        } catch {
            deadline.cancel()
            channel.close(promise: nil)
            // The kubelet closes right after saying why (a port nothing listens on): its words
            // arrive before the close, and name the cause.
            if case TunnelFailure.closed = error, let text = errorText.text { throw failure(Self.reason(TunnelFailure.portForward(text))) }
            throw failure(Self.reason(error))
        }
        return PortForwardTunnel(channel: channel, key: key, errorText: errorText)
    }

    var isOpen: Bool { channel.isActive }

    /// Sends one request over the tunnel and collects the answer, within `timeout` and `limit`.
    func exchange(_ request: MeshRequest, timeout: TimeAmount, limit: Int) async throws(SourceError) -> (status: Int, contentType: String?, body: [UInt8]) {
        let promise = channel.eventLoop.makePromise(of: TunnelAnswer.self)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "localhost:\(key.port)")
        headers.add(name: "User-Agent", value: "meshtop")
        if let accept = request.accept { headers.add(name: "Accept", value: accept) }
        if let contentType = request.contentType { headers.add(name: "Content-Type", value: contentType) }
        headers.add(name: "Content-Length", value: String(request.body?.count ?? 0))
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method.rawValue), uri: request.path, headers: headers)
        let channel = channel
        let body = request.body
        channel.eventLoop.execute {
            // A tunnel the kubelet already closed (its handlers may still be there) gets no request.
            guard channel.isActive, let exchange = try? channel.pipeline.syncOperations.handler(type: TunnelExchange.self) else {
                return promise.fail(TunnelFailure.closed)
            }
            exchange.begin(promise, limit: limit)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
        let deadline = channel.eventLoop.scheduleTask(in: timeout) { promise.fail(TunnelFailure.timedOut) }
        do {
            let answer = try await promise.futureResult.get()
            deadline.cancel()
            return (answer.status, answer.contentType, answer.body)
        } catch {
            deadline.cancel()
            // The stream is in an unknown state after a failure: never reuse it.
            channel.close(promise: nil)
            // Closed after the kubelet said why: say that, not just "closed".
            if case TunnelFailure.closed = error, let text = errorText.text { throw request.failure(Self.reason(TunnelFailure.portForward(text))) }
            throw request.failure(Self.reason(error))
        }
    }

    func close() { channel.close(promise: nil) }

    static func reason(_ error: any Error) -> SourceError.Reason {
        switch error {
        case let failure as TunnelFailure:
            switch failure {
            case .timedOut: .timedOut
            case .closed: .connectionClosed
            case let .portForward(text): .other("port-forward error: \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
            case let .refused(status, body, retryAfter):
                switch status {
                case 401: .auth(.unauthorized(body: body))
                case 403: .auth(.forbidden(body: body))
                case 429: .throttled(retryAfter: retryAfter ?? 1)
                default: .httpStatus(status, body: body)
                }
            case let .tooLarge(limit): .tooLarge(limit: limit)
            }
        default: DirectHTTPTransport.reason(error)
        }
    }
}

/// The first thing the kubelet said on a tunnel's error channel.
final class TunnelErrorText: Sendable {
    private let value = Mutex<String?>(nil)

    var text: String? { value.withLock { $0 } }

    func record(_ text: String) { value.withLock { if $0 == nil { $0 = text } } }
}

/// Which pod port a tunnel reaches.
struct PortForwardKey: Hashable, Sendable, CustomStringConvertible {
    var namespace: String
    var pod: String
    var port: Int
    var description: String { "\(namespace)/\(pod):\(port)" }
}

enum TunnelFailure: Error {
    case timedOut
    case closed
    /// Text the kubelet sent on the error channel.
    case portForward(String)
    /// The API server answered the upgrade with this status (its Status message as body) and,
    /// for a 429, its `Retry-After`.
    case refused(Int, String, retryAfter: Double?)
    case tooLarge(Int)
}

struct TunnelAnswer: Sendable {
    var status: Int
    var contentType: String?
    var body: [UInt8]
}

/// WebSocket frames of channels 0 and 1 in, the stream's bytes out as masked frames of channel 0.
final class PortForwardFraming: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    private var portFrameSeen: Set<UInt8> = []
    /// Succeeded once both channels' port frames arrived: the kubelet's side is in place, and
    /// the stream may carry the first request.
    let ready: EventLoopPromise<Void>
    let errorText: TunnelErrorText

    init(ready: EventLoopPromise<Void>, errorText: TunnelErrorText) {
        self.ready = ready
        self.errorText = errorText
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .continuation:
            var payload = frame.unmaskedData
            guard let channel: UInt8 = payload.readInteger() else { return }
            // The first message of each channel is its port number.
            guard portFrameSeen.contains(channel) else {
                portFrameSeen.insert(channel)
                if portFrameSeen.isSuperset(of: [0, 1]) { ready.succeed() }
                return
            }
            if channel == 0 {
                context.fireChannelRead(wrapInboundOut(payload))
            } else if channel == 1, payload.readableBytes > 0 {
                let text = payload.readString(length: payload.readableBytes) ?? ""
                errorText.record(text)
                let failure = TunnelFailure.portForward(text)
                ready.fail(failure)
                context.fireErrorCaught(failure)
                context.close(promise: nil)
            }
        case .connectionClose:
            context.close(promise: nil)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        default:
            break
        }
    }

    /// Closed before both port frames came: the opening fails now, not at its deadline.
    func channelInactive(context: ChannelHandlerContext) {
        ready.fail(TunnelFailure.closed)
        context.fireChannelInactive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = unwrapOutboundIn(data)
        var framed = context.channel.allocator.buffer(capacity: bytes.readableBytes + 1)
        framed.writeInteger(UInt8(0))
        framed.writeImmutableBuffer(bytes)
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: framed)), promise: promise)
    }
}

/// Collects the response to the one request in flight.
final class TunnelExchange: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    private var pending: EventLoopPromise<TunnelAnswer>?
    private var answer = TunnelAnswer(status: 0, body: [])
    private var limit = Int.max

    private var inactive = false

    func begin(_ promise: EventLoopPromise<TunnelAnswer>, limit: Int) {
        guard !inactive else { return promise.fail(TunnelFailure.closed) }
        pending = promise
        answer = TunnelAnswer(status: 0, body: [])
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            answer.status = Int(head.status.code)
            answer.contentType = head.headers.first(name: "Content-Type")
        case var .body(buffer):
            guard answer.body.count + buffer.readableBytes <= limit else {
                pending?.fail(TunnelFailure.tooLarge(limit))
                pending = nil
                return context.close(promise: nil)
            }
            answer.body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            pending?.succeed(answer)
            pending = nil
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pending?.fail(error)
        pending = nil
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inactive = true
        pending?.fail(TunnelFailure.closed)
        pending = nil
        context.fireChannelInactive()
    }
}
