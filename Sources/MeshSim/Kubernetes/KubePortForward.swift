import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// `pods/portforward` over WebSocket, as the kubelet streams it (mesh-apis.md §9.3): subprotocol
/// `v4.channel.k8s.io` (binary) or `v4.base64.channel.k8s.io` (text); for the i-th port of
/// `?ports=` channel 2i carries data and 2i+1 errors, each channel's first message is the port
/// as two little-endian bytes; one TCP stream per port, into the pod's localhost. A port
/// nothing listens on gets the runtime's words on its error channel.
enum KubePortForward {
    static let binary = "v4.channel.k8s.io"
    static let base64 = "v4.base64.channel.k8s.io"

    /// What an upgrade asks for, when the caller may have it. Anything else is not upgraded
    /// and reaches `KubeAPIRouter`, which answers the right Status (401, 403, 404, 400).
    struct Request {
        var pod: KubeSimPod
        var namespace: String
        var name: String
        var ports: [Int]
        var subprotocol: String
    }

    static func request(_ head: HTTPRequestHead, cluster: KubeCluster, clientCommonName: String?) -> Request? {
        let simRequest = SimRequest(method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, localAddress: "")
        guard let path = KubePath(simRequest.path), path.group.isEmpty, path.resource == "pods", path.subresource == "portforward",
              let namespace = path.namespace, let name = path.name else { return nil }
        guard case let .identified(identity) = cluster.credentials.authenticate(authorization: simRequest.header("Authorization"),
                                                                                clientCommonName: clientCommonName, now: Date()),
              cluster.allows(identity, verb: "create", resource: "pods", subresource: "portforward", namespace: namespace),
              let pod = cluster.pod(named: name, namespace: namespace) else { return nil }
        let ports = simRequest.queryItems.filter { $0.0 == "ports" }.flatMap { $0.1.split(separator: ",") }.compactMap { Int($0) }
        guard !ports.isEmpty, ports.allSatisfy({ (1...65535).contains($0) }) else { return nil }
        let offered = head.headers[canonicalForm: "Sec-WebSocket-Protocol"].map(String.init)
        guard let chosen = [binary, base64].first(where: offered.contains) else { return nil }
        return Request(pod: pod, namespace: namespace, name: name, ports: ports, subprotocol: chosen)
    }

    static func upgrader(cluster: KubeCluster, backend: SocketAddress) -> NIOWebSocketServerUpgrader {
        NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 24, automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                let name = KubeAPIHandler.clientCommonName(channel)
                guard let request = request(head, cluster: cluster, clientCommonName: name) else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                var headers = HTTPHeaders()
                headers.add(name: "Sec-WebSocket-Protocol", value: request.subprotocol)
                return channel.eventLoop.makeSucceededFuture(headers)
            },
            upgradePipelineHandler: { channel, head in
                guard let request = request(head, cluster: cluster, clientCommonName: KubeAPIHandler.clientCommonName(channel)) else {
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(KubePortForwardHandler(request: request, backend: backend))
                }
            })
    }

    /// The runtime's message for a port nothing listens on.
    static func refusal(_ request: Request, port: Int) -> String {
        "error forwarding port \(port) to pod \(request.name), uid : failed to connect to localhost:\(port) inside namespace \"\(request.namespace)\", "
            + "IPv4: dial tcp4 127.0.0.1:\(port): connect: connection refused IPv6 dial tcp6: address localhost: no suitable address found "
    }
}

/// One port-forward session: relays each port's channel to a connection into the pod network.
final class KubePortForwardHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let request: KubePortForward.Request
    let backend: SocketAddress
    private var streams: [(any Channel)?]
    private var pending: [[ByteBuffer]]
    private var open: Int
    private var closing = false
    private var encoded: Bool { request.subprotocol == KubePortForward.base64 }

    init(request: KubePortForward.Request, backend: SocketAddress) {
        self.request = request
        self.backend = backend
        streams = request.ports.map { _ in nil }
        pending = request.ports.map { _ in [] }
        open = request.ports.count
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let contextBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        for (index, port) in request.ports.enumerated() {
            let portBytes = [UInt8(port & 0xFF), UInt8(port >> 8)]
            send(channel: 2 * index, portBytes, context: context)
            send(channel: 2 * index + 1, portBytes, context: context)
            guard KubePodPorts.listens(request.pod, port: port, fromLocalhost: true) else {
                send(channel: 2 * index + 1, Array(KubePortForward.refusal(request, port: port).utf8), context: context)
                streamEnded(index, context: context)
                continue
            }
            let websocket = context.channel
            ClientBootstrap(group: context.eventLoop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(PodStreamRelay(websocket: websocket, channel: 2 * index, base64: self.encoded,
                                                                                      ended: { loopBound.value.streamEnded(index, context: contextBound.value) }))
                    }
                }
                .connect(to: backend)
                .whenComplete { result in
                    let handler = loopBound.value
                    switch result {
                    case let .success(stream):
                        var preamble = stream.allocator.buffer(capacity: 40)
                        preamble.writeString(KubePodNetwork.preamble(pod: handler.request.pod, port: port))
                        stream.write(preamble, promise: nil)
                        for buffer in handler.pending[index] { stream.write(buffer, promise: nil) }
                        stream.flush()
                        handler.pending[index] = []
                        handler.streams[index] = stream
                    case let .failure(error):
                        handler.send(channel: 2 * index + 1, Array("error forwarding port \(port): \(error)".utf8), context: contextBound.value)
                        handler.streamEnded(index, context: contextBound.value)
                    }
                }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .text, .continuation:
            var data = frame.unmaskedData
            guard var bytes = data.readBytes(length: data.readableBytes), !bytes.isEmpty else { return }
            var channel: Int
            if encoded {
                channel = Int(bytes[0]) - 0x30
                bytes = Array(Data(base64Encoded: Data(bytes.dropFirst())) ?? Data())
            } else {
                channel = Int(bytes[0])
                bytes.removeFirst()
            }
            // Data channels only; whatever a client writes on an error channel is ignored.
            guard channel >= 0, channel % 2 == 0, channel / 2 < request.ports.count, !bytes.isEmpty else { return }
            let index = channel / 2
            var buffer = context.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            if let stream = streams[index] { stream.writeAndFlush(buffer, promise: nil) } else { pending[index].append(buffer) }
        case .ping:
            var pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            pong.maskKey = nil
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            closeAll(context: context)
        default:
            _ = frame
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        for stream in streams { stream?.close(promise: nil) }
        context.fireChannelInactive()
    }

    func send(channel: Int, _ bytes: [UInt8], context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(PodStreamRelay.frame(channel: channel, bytes, base64: encoded, allocator: context.channel.allocator)), promise: nil)
    }

    /// A port's stream ended (refused, or the pod closed it); the session ends with the last.
    func streamEnded(_ index: Int, context: ChannelHandlerContext) {
        open -= 1
        if open == 0 { closeAll(context: context) }
    }

    private func closeAll(context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        for stream in streams { stream?.close(promise: nil) }
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: .normalClosure)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}

/// The pod side of one forwarded port: what the pod sends goes out on the port's data channel.
final class PodStreamRelay: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let websocket: any Channel
    let channel: Int
    let base64: Bool
    let ended: () -> Void

    init(websocket: any Channel, channel: Int, base64: Bool, ended: @escaping () -> Void) {
        self.websocket = websocket
        self.channel = channel
        self.base64 = base64
        self.ended = ended
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        websocket.writeAndFlush(Self.frame(channel: channel, bytes, base64: base64, allocator: websocket.allocator), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        ended()
        context.fireChannelInactive()
    }

    static func frame(channel: Int, _ bytes: [UInt8], base64: Bool, allocator: ByteBufferAllocator) -> WebSocketFrame {
        var buffer = allocator.buffer(capacity: bytes.count * 4 / 3 + 8)
        if base64 {
            buffer.writeInteger(UInt8(0x30 + channel))
            buffer.writeString(Data(bytes).base64EncodedString())
            return WebSocketFrame(fin: true, opcode: .text, data: buffer)
        }
        buffer.writeInteger(UInt8(channel))
        buffer.writeBytes(bytes)
        return WebSocketFrame(fin: true, opcode: .binary, data: buffer)
    }
}
