import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The parts of one HTTP request, gathered until its end: the head, and the body up to `limit`
/// bytes (more is cut off). Every listener of the simulator reads requests this way.
struct SimRequestParts {
    let limit: Int
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(limit: Int) { self.limit = limit }

    /// Takes one part; at the end returns the whole request.
    mutating func take(_ part: HTTPServerRequestPart) -> (head: HTTPRequestHead, body: [UInt8])? {
        switch part {
        case let .head(requestHead):
            head = requestHead
            body = []
        case var .body(buffer):
            if body.count < limit, let bytes = buffer.readBytes(length: min(buffer.readableBytes, limit - body.count)) { body += bytes }
        case .end:
            guard let requestHead = head else { return nil }
            defer { head = nil; body = [] }
            return (requestHead, body)
        }
        return nil
    }
}

/// Answers one request on a connection's pipeline: the proxy's presence and faults first, then
/// the simulator's response. Shared by the mesh's listeners and the Kubernetes API server's
/// pod proxy, so a misbehaving proxy misbehaves the same way through either.
struct SimResponder {
    let simulator: MeshSimulator
    let context: ChannelHandlerContext

    func answer(_ request: SimRequest, head requestHead: HTTPRequestHead, role: ListenerRole) {
        // A proxy that went away drops its connections, as a dead pod would.
        if let index = role.proxyIndex, !simulator.read({ $0.proxies[index].present }) {
            context.close(promise: nil)
            return
        }
        if let index = role.proxyIndex, let fault = simulator.fault(forProxy: index) {
            respond(with: fault, to: request, head: requestHead, role: role)
            return
        }
        send(simulator.respond(to: request, role: role), head: requestHead)
    }

    func wrapOutboundOut(_ part: HTTPServerResponsePart) -> NIOAny { NIOAny(part) }

    /// Writes a whole response, keeping the connection open when the client asked for keep-alive.
    func send(_ response: SimResponse, head requestHead: HTTPRequestHead) {
        writeHead(status: response.status, contentType: response.contentType, length: response.body.count, head: requestHead, extra: response.headers)
        if requestHead.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: response.body.count)
            buffer.writeBytes(response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        finish(head: requestHead)
    }

    private func writeHead(status: Int, contentType: String, length: Int, head requestHead: HTTPRequestHead, extra: [(String, String)] = []) {
        var headers = HTTPHeaders(extra)
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(length))
        headers.add(name: "Connection", value: requestHead.isKeepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(version: requestHead.version, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
    }

    private func finish(head requestHead: HTTPRequestHead) {
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !requestHead.isKeepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Misbehaves the way `fault` says (see `FaultKind`).
    private func respond(with fault: FaultKind, to request: SimRequest, head requestHead: HTTPRequestHead, role: ListenerRole) {
        switch fault {
        case .hang:
            return // the request stays unanswered until the client gives up
        case .reset:
            // SO_LINGER 0 makes close() send RST instead of FIN.
            let channel = context.channel
            if let provider = channel as? any SocketOptionProvider {
                provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
            } else {
                channel.close(promise: nil)
            }
        case .http500:
            send(.text(500, "upstream connect error or disconnect/reset before headers. reset reason: overflow\n"), head: requestHead)
        case .http401:
            send(.text(401, "Unauthorized\n"), head: requestHead)
        case .garbage:
            let real = simulator.respond(to: request, role: role)
            send(SimResponse(status: 200, contentType: real.contentType, body: FaultBodies.garbage(seed: UInt64(request.uri.utf8.count) &+ UInt64(Date().timeIntervalSince1970))),
                 head: requestHead)
        case .truncated:
            var real = simulator.respond(to: request, role: role)
            real.body = Array(real.body.prefix(real.body.count / 2))
            send(real, head: requestHead)
        case .wrongtype:
            send(SimResponse(status: 200, contentType: "text/html; charset=utf-8", body: FaultBodies.loginPage), head: requestHead)
        case .huge:
            let real = simulator.respond(to: request, role: role)
            writeHead(status: 200, contentType: real.contentType, length: FaultBodies.hugeSize, head: requestHead)
            var chunk = context.channel.allocator.buffer(capacity: FaultBodies.hugeChunk.count)
            chunk.writeBytes(FaultBodies.hugeChunk)
            for _ in 0..<(FaultBodies.hugeSize / FaultBodies.hugeChunk.count) {
                context.write(wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
            }
            finish(head: requestHead)
        case .drip:
            let real = simulator.respond(to: request, role: role)
            writeHead(status: real.status, contentType: real.contentType, length: real.body.count, head: requestHead)
            context.flush()
            Self.drip(real.body, channel: context.channel, keepAlive: requestHead.isKeepAlive)
        }
    }

    /// Sends `body` one byte per second, stopping when the client hangs up.
    private static func drip(_ body: [UInt8], channel: any Channel, keepAlive: Bool) {
        let position = Mutex(0)
        channel.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { task in
            guard channel.isActive else { return task.cancel() }
            let index = position.withLock { value -> Int in
                defer { value += 1 }
                return value
            }
            guard index < body.count else {
                task.cancel()
                channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in
                    if !keepAlive { channel.close(promise: nil) }
                }
                return
            }
            var buffer = channel.allocator.buffer(capacity: 1)
            buffer.writeInteger(body[index])
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        }
    }

    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }
}
