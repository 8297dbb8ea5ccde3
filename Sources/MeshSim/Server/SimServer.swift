import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Serves a `MeshSimulator` over HTTP/1.1: istiod on one 127.0.0.1 port, and one Envoy admin
/// listener per present proxy on its own loopback address. Listeners follow the simulation:
/// a proxy that goes away stops listening, and listens again on the same address when it returns.
public final class SimServer: Sendable {
    public let simulator: MeshSimulator
    private let group: MultiThreadedEventLoopGroup
    private let listeners = Mutex<[Int: any Channel]>([:])
    private let ports = Mutex<[Int: Int]>([:])
    private let istiod = Mutex<(any Channel)?>(nil)

    public init(simulator: MeshSimulator, threads: Int = System.coreCount) {
        self.simulator = simulator
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
    }

    /// Binds istiod and every present proxy; returns istiod's base URL.
    public func start() async throws -> String {
        Self.raiseFileLimit()
        let channel = try await bind(host: "127.0.0.1", port: simulator.options.istiodPort, role: .istiod)
        istiod.withLock { $0 = channel }
        try await reconcile()
        return "http://127.0.0.1:\(channel.localAddress?.port ?? simulator.options.istiodPort)"
    }

    /// Opens or closes proxy listeners to match who is present in the simulation.
    public func reconcile() async throws {
        let present = simulator.presentProxies
        let proxies = simulator.topology.proxies
        for proxy in proxies {
            let listening = listeners.withLock { $0[proxy.index] != nil }
            if present[proxy.index], !listening {
                let port = ports.withLock { $0[proxy.index] } ?? simulator.options.adminPort
                let channel = try await bind(host: proxy.adminHost, port: port, role: .proxy(proxy.index))
                let bound = channel.localAddress?.port ?? port
                ports.withLock { $0[proxy.index] = bound }
                listeners.withLock { $0[proxy.index] = channel }
            } else if !present[proxy.index], listening {
                let channel = listeners.withLock { $0.removeValue(forKey: proxy.index) }
                try? await channel?.close()
            }
        }
    }

    /// The admin URL of every proxy (also of absent ones: their address stays reserved).
    public func adminURLs() -> [Int: String] {
        let known = ports.withLock { $0 }
        var urls: [Int: String] = [:]
        for proxy in simulator.topology.proxies {
            urls[proxy.index] = "http://\(proxy.adminHost):\(known[proxy.index] ?? simulator.options.adminPort)"
        }
        return urls
    }

    /// Advances the simulation once a second until cancelled, keeping listeners in step and
    /// passing journal lines (scenario starts and ends, actions) to `log`.
    public func run(log: @Sendable (String) -> Void) async {
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: 1_000_000_000)
            for line in simulator.tick() { log(line) }
            do { try await reconcile() } catch { log("listener change failed: \(error)") }
        }
    }

    public func shutdown() async {
        let all = listeners.withLock { state -> [any Channel] in
            defer { state.removeAll() }
            return Array(state.values)
        }
        for channel in all { try? await channel.close() }
        if let channel = istiod.withLock({ $0 }) { try? await channel.close() }
        try? await group.shutdownGracefully()
    }

    private func bind(host: String, port: Int, role: ListenerRole) async throws -> any Channel {
        let simulator = simulator
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .childChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(SimHTTPHandler(simulator: simulator, role: role))
                }
            }
        do {
            return try await bootstrap.bind(host: host, port: port).get()
        } catch {
            throw SimError.bindFailed("\(host):\(port): \(error)")
        }
    }

    /// 1,000 proxies need more than the usual 1,024 descriptors: raise the soft limit to the hard one.
    static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// Collects one HTTP request and answers it through the simulator.
final class SimHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let simulator: MeshSimulator
    private let role: ListenerRole
    private var head: HTTPRequestHead?
    /// The request body so far (admin actions carry small ones; more than 64 KB is cut off).
    private var body: [UInt8] = []

    init(simulator: MeshSimulator, role: ListenerRole) {
        self.simulator = simulator
        self.role = role
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(requestHead):
            head = requestHead
            body = []
        case var .body(buffer):
            if body.count < 64 << 10, let bytes = buffer.readBytes(length: min(buffer.readableBytes, (64 << 10) - body.count)) { body += bytes }
        case .end:
            guard let requestHead = head else { return }
            head = nil
            let local = context.localAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
            let remoteIsLoopback = context.remoteAddress?.ipAddress.map(Self.isLoopback) ?? false
            var request = SimRequest(method: requestHead.method.rawValue, uri: requestHead.uri,
                                     headers: requestHead.headers.map { ($0.name, $0.value) },
                                     localAddress: local, remoteIsLoopback: remoteIsLoopback)
            request.body = body
            body = []
            // A proxy that went away drops its connections, as a dead pod would.
            if case let .proxy(index) = role, !simulator.read({ $0.proxies[index].present }) {
                context.close(promise: nil)
                return
            }
            if case let .proxy(index) = role, let fault = simulator.fault(forProxy: index) {
                respond(with: fault, to: request, head: requestHead, context: context)
                return
            }
            send(simulator.respond(to: request, role: role), head: requestHead, context: context)
        }
    }

    /// Writes a whole response, keeping the connection open when the client asked for keep-alive.
    private func send(_ response: SimResponse, head requestHead: HTTPRequestHead, context: ChannelHandlerContext) {
        writeHead(status: response.status, contentType: response.contentType, length: response.body.count, head: requestHead, context: context)
        if requestHead.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: response.body.count)
            buffer.writeBytes(response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        finish(head: requestHead, context: context)
    }

    private func writeHead(status: Int, contentType: String, length: Int, head requestHead: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(length))
        headers.add(name: "Connection", value: requestHead.isKeepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(version: requestHead.version, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
    }

    private func finish(head requestHead: HTTPRequestHead, context: ChannelHandlerContext) {
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !requestHead.isKeepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Misbehaves the way `fault` says (see `FaultKind`).
    private func respond(with fault: FaultKind, to request: SimRequest, head requestHead: HTTPRequestHead, context: ChannelHandlerContext) {
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
            send(.text(500, "upstream connect error or disconnect/reset before headers. reset reason: overflow\n"), head: requestHead, context: context)
        case .http401:
            send(.text(401, "Unauthorized\n"), head: requestHead, context: context)
        case .garbage:
            let real = simulator.respond(to: request, role: role)
            send(SimResponse(status: 200, contentType: real.contentType, body: FaultBodies.garbage(seed: UInt64(request.uri.utf8.count) &+ UInt64(Date().timeIntervalSince1970))),
                 head: requestHead, context: context)
        case .truncated:
            var real = simulator.respond(to: request, role: role)
            real.body = Array(real.body.prefix(real.body.count / 2))
            send(real, head: requestHead, context: context)
        case .wrongtype:
            send(SimResponse(status: 200, contentType: "text/html; charset=utf-8", body: FaultBodies.loginPage), head: requestHead, context: context)
        case .huge:
            let real = simulator.respond(to: request, role: role)
            writeHead(status: 200, contentType: real.contentType, length: FaultBodies.hugeSize, head: requestHead, context: context)
            var chunk = context.channel.allocator.buffer(capacity: FaultBodies.hugeChunk.count)
            chunk.writeBytes(FaultBodies.hugeChunk)
            for _ in 0..<(FaultBodies.hugeSize / FaultBodies.hugeChunk.count) {
                context.write(wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
            }
            finish(head: requestHead, context: context)
        case .drip:
            let real = simulator.respond(to: request, role: role)
            writeHead(status: real.status, contentType: real.contentType, length: real.body.count, head: requestHead, context: context)
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
