import Crypto
import Foundation
import NIOCore
import NIOWebSocket

/// The WebSocket handshake of a port-forward, on raw bytes, in one go on the pipeline's thread.
/// On the 101 (with the right accept key and subprotocol) the WebSocket codec and the stream's
/// handlers go in after this one, the bytes that came behind the 101 — the port frames and, when
/// a port refuses, the kubelet's words and its close — are passed to them, and this handler
/// leaves. Any other answer fails the opening with the API server's status and Status message
/// (`pods "x" is forbidden: …`) and `Retry-After`.
///
/// Not NIO's HTTP decoder and client upgrader: the decoder drops the bytes behind a 101 when the
/// connection's end is read with them (its left-overs go on only before EOF), and the kubelet
/// closes right behind its error — so an operator saw "connection closed" instead of its words
/// (two openings in three, measured here).
final class PortForwardHandshake: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    static let subprotocol = "v4.channel.k8s.io"
    static let magicGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    /// A head longer than this is not an API server's.
    static let headLimit = 64 << 10

    let opened: EventLoopPromise<Void>
    let requestKey: String
    /// The stream's handlers, after the WebSocket codec: framing, the inner HTTP codec, the exchange.
    let stream: () -> [any ChannelHandler]
    private var received: [UInt8] = []
    private var head: Head?

    struct Head {
        var status: Int
        var headers: [String: String]
        var bodyStart: Int
    }

    init(opened: EventLoopPromise<Void>, requestKey: String, stream: @escaping () -> [any ChannelHandler]) {
        self.opened = opened
        self.requestKey = requestKey
        self.stream = stream
    }

    static func randomKey() -> String { Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString() }

    static func accept(for key: String) -> String {
        Data(Insecure.SHA1.hash(data: Data((key + magicGUID).utf8))).base64EncodedString()
    }

    /// The upgrade request, as bytes.
    static func request(path: String, host: String, key: String, token: Credential?) -> [UInt8] {
        var lines = ["GET \(path) HTTP/1.1", "Host: \(host)", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13",
                     "Sec-WebSocket-Key: \(key)", "Sec-WebSocket-Protocol: \(subprotocol)", "User-Agent: meshtop"]
        if let token { lines.append("Authorization: Bearer \(token.revealed)") }
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        received += buffer.readBytes(length: buffer.readableBytes) ?? []
        if head == nil {
            guard let parsed = Self.parseHead(received) else {
                if received.count > Self.headLimit { fail(context, TunnelFailure.portForward("the API server's answer has no end of head")) }
                return
            }
            head = parsed
        }
        guard let head else { return }
        if head.status == 101 { return upgrade(context: context, head: head) }
        // A refusal: its Status body, whole once Content-Length says so (else at the close).
        if let length = head.headers["content-length"].flatMap(Int.init), received.count - head.bodyStart >= length { refuse(context) }
    }

    private func upgrade(context: ChannelHandlerContext, head: Head) {
        guard head.headers["sec-websocket-accept"] == Self.accept(for: requestKey), head.headers["sec-websocket-protocol"] == Self.subprotocol else {
            return fail(context, TunnelFailure.portForward("the API server's WebSocket answer does not match the request (accept key or subprotocol)"))
        }
        do {
            let operations = context.pipeline.syncOperations
            try operations.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 24)), position: .after(self))
            var previous: any ChannelHandler = try operations.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self)
            for handler in [WebSocketFrameEncoder()] + stream() {
                try operations.addHandler(handler, position: .after(previous))
                previous = handler
            }
        } catch {
            return fail(context, error)
        }
        let behind = Array(received[head.bodyStart...])
        received = []
        if !behind.isEmpty { context.fireChannelRead(wrapInboundOut(ByteBuffer(bytes: behind))) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func refuse(_ context: ChannelHandlerContext) {
        guard let head else { return fail(context, TunnelFailure.closed) }
        var body = Array(received[head.bodyStart...])
        if head.headers["transfer-encoding"]?.lowercased() == "chunked" { body = Self.unchunked(body) }
        let text = String(decoding: body.prefix(4096), as: UTF8.self)
        let message = (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["message"] as? String
        fail(context, TunnelFailure.refused(head.status, message ?? text, retryAfter: head.headers["retry-after"].flatMap(Double.init)))
    }

    private func fail(_ context: ChannelHandlerContext, _ error: any Error) {
        opened.fail(error)
        context.close(promise: nil)
    }

    /// Closed during the handshake: a refusal's body ends here; anything else fails the opening.
    func channelInactive(context: ChannelHandlerContext) {
        if let head, head.status != 101 { refuse(context) } else { opened.fail(TunnelFailure.closed) }
        context.fireChannelInactive()
    }

    /// Status and headers (names lower-cased) of `bytes` once they hold a whole head.
    static func parseHead(_ bytes: [UInt8]) -> Head? {
        let end: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4, let index = (0...(bytes.count - 4)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(end) }) else { return nil }
        let lines = String(decoding: bytes[..<index], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = lines.first?.split(separator: " ") ?? []
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/"), let status = Int(statusLine[1]) else {
            return Head(status: 0, headers: [:], bodyStart: index + 4)
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Head(status: status, headers: headers, bodyStart: index + 4)
    }

    /// A chunked body's data (as far as it came).
    static func unchunked(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [], index = 0
        while index < bytes.count {
            guard let lineEnd = bytes[index...].firstIndex(of: 10) else { break }
            let sizeText = String(decoding: bytes[index..<lineEnd], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16), size > 0 else { break }
            let start = lineEnd + 1
            out += bytes[start..<min(bytes.count, start + size)]
            index = start + size + 2
        }
        return out
    }
}
