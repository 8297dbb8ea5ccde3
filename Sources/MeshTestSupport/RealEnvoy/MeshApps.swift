import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The workloads behind the real sidecars: tiny HTTP servers on `host:9080`. One calls the next
/// service through its own sidecar's outbound listener (as an application in a mesh does), one
/// answers 503 to a fixed share of requests, the rest answer 200.
final class MeshApp: Sendable {
    enum Behaviour: Sendable {
        /// Call `service` through the sidecar's outbound listener at `outbound`, then answer 200.
        case call(service: String, outbound: String)
        /// Answer 503 to `every`-th… a share: `failures` of each `cycle` requests, else 200.
        case fail(failures: Int, cycle: Int)
    }

    let channel: any Channel

    private init(channel: any Channel) { self.channel = channel }

    static func start(host: String, behaviour: Behaviour, client: HTTPClient, group: any EventLoopGroup) async throws -> MeshApp {
        let counter = Counter()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(AppHandler(behaviour: behaviour, client: client, counter: counter))
                }
            }
            .bind(host: host, port: 9080).get()
        return MeshApp(channel: channel)
    }

    func stop() async { try? await channel.close() }

    /// Requests seen, for the share of failures.
    final class Counter: Sendable {
        private let value = Mutex(0)
        func next() -> Int { value.withLock { $0 += 1; return $0 } }
    }
}

/// Answers one request at a time per connection, after the outbound call when there is one.
final class AppHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let behaviour: MeshApp.Behaviour
    let client: HTTPClient
    let counter: MeshApp.Counter

    init(behaviour: MeshApp.Behaviour, client: HTTPClient, counter: MeshApp.Counter) {
        self.behaviour = behaviour
        self.client = client
        self.counter = counter
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case let .head(head) = unwrapInboundIn(data) else { return }
        let keepAlive = head.isKeepAlive
        switch behaviour {
        case let .fail(failures, cycle):
            let failed = (counter.next() % cycle) < failures
            respond(context: context, status: failed ? .serviceUnavailable : .ok, keepAlive: keepAlive)
        case let .call(service, outbound):
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            var request = HTTPClientRequest(url: outbound + "/")
            request.headers.add(name: "Host", value: "\(service).default.svc.cluster.local:9080")
            let client = client
            let eventLoop = context.eventLoop
            Task {
                let response = try? await client.execute(request, timeout: .seconds(5))
                _ = try? await response?.body.collect(upTo: 1 << 20)
                eventLoop.execute { bound.value.0.respond(context: bound.value.1, status: .ok, keepAlive: keepAlive) }
            }
        }
    }

    func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, keepAlive: Bool) {
        guard context.channel.isActive else { return }
        let body = ByteBuffer(string: status == .ok ? "ok\n" : "unavailable\n")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in if !keepAlive { channel.close(promise: nil) } }
    }
}
