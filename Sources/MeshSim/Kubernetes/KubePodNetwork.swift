import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The simulated pods' own network, as a port-forward reaches it: one loopback listener for
/// every pod and port. A connection starts with a line naming the pod and port
/// (`pod=proxy:12 port=15000` or `pod=istiod port=15014`), then carries plain HTTP to that
/// port as seen from the pod's localhost — where Envoy's admin listens. Nothing else connects
/// here; the port-forward (`KubePortForward`) writes the line, and only for ports that listen.
final class KubePodNetwork: Sendable {
    let simulator: MeshSimulator
    let group: any EventLoopGroup
    private let channel: Mutex<(any Channel)?> = Mutex(nil)

    init(simulator: MeshSimulator, group: any EventLoopGroup) {
        self.simulator = simulator
        self.group = group
    }

    func start() async throws -> SocketAddress {
        let simulator = simulator
        let bound = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(PodNetworkPreamble(simulator: simulator)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        channel.withLock { $0 = bound }
        guard let address = bound.localAddress else { throw SimError.bindFailed("pod network: no local address") }
        return address
    }

    func shutdown() async {
        if let channel = channel.withLock({ $0 }) { try? await channel.close() }
    }

    static func preamble(pod: KubeSimPod, port: Int) -> String {
        switch pod {
        case let .proxy(index): "pod=proxy:\(index) port=\(port)\n"
        case .istiod: "pod=istiod port=\(port)\n"
        }
    }

    static func parse(_ line: String) -> (KubeSimPod, Int)? {
        let fields = Dictionary(line.split(separator: " ").compactMap { pair -> (String, String)? in
            let parts = pair.split(separator: "=", maxSplits: 1)
            return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
        }, uniquingKeysWith: { first, _ in first })
        guard let port = fields["port"].flatMap(Int.init), let pod = fields["pod"] else { return nil }
        if pod == "istiod" { return (.istiod, port) }
        guard pod.hasPrefix("proxy:"), let index = Int(pod.dropFirst("proxy:".count)) else { return nil }
        return (.proxy(index), port)
    }
}

/// Reads the first line of a pod-network connection, then becomes that port's HTTP server.
final class PodNetworkPreamble: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let simulator: MeshSimulator
    private var buffered: ByteBuffer?
    /// Set once the line is read: reads that arrive before this handler has left the
    /// pipeline are HTTP, and pass on untouched.
    private var done = false

    init(simulator: MeshSimulator) { self.simulator = simulator }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return context.fireChannelRead(data) }
        var incoming = unwrapInboundIn(data)
        if var held = buffered {
            held.writeBuffer(&incoming)
            incoming = held
        }
        guard let newline = incoming.readableBytesView.firstIndex(of: 0x0A) else {
            buffered = incoming
            if incoming.readableBytes > 256 { context.close(promise: nil) }
            return
        }
        let length = newline - incoming.readerIndex
        let line = incoming.readString(length: length) ?? ""
        incoming.moveReaderIndex(forwardBy: 1)
        guard let (pod, port) = KubePodNetwork.parse(line) else { return context.close(promise: nil) }
        done = true
        do {
            try context.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            try context.pipeline.syncOperations.addHandler(SimHTTPHandler(simulator: simulator, role: .pod(pod, port: port, fromLocalhost: true)))
        } catch {
            return context.close(promise: nil)
        }
        if incoming.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(incoming)) }
        buffered = nil
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
