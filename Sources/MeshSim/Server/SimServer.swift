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
    /// The Kubernetes API in front of the mesh (`--kube`): then proxies have no listener of
    /// their own, their pods are reached through it (`Kubernetes/`).
    public var kubernetes: KubeAPIServer? { kubeServer.withLock { $0 } }
    private let kubeServer = Mutex<KubeAPIServer?>(nil)

    public init(simulator: MeshSimulator, threads: Int = System.coreCount) {
        self.simulator = simulator
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
    }

    /// Binds istiod and every present proxy; returns istiod's base URL.
    public func start() async throws -> String {
        Self.raiseFileLimit()
        let kube = simulator.options.kube
        let channel = try await bind(host: "127.0.0.1", port: simulator.options.istiodPort, role: kube == nil ? .istiod : .istiodPodIP)
        istiod.withLock { $0 = channel }
        if let kube {
            let server = try KubeAPIServer(simulator: simulator, group: group, tokenLifetime: kube.tokenLifetime)
            kubeServer.withLock { $0 = server }
            _ = try await server.start(host: kube.host, port: kube.port)
        }
        try await reconcile()
        return "http://127.0.0.1:\(channel.localAddress?.port ?? simulator.options.istiodPort)"
    }

    /// Opens or closes proxy listeners to match who is present in the simulation.
    public func reconcile() async throws {
        if let kubernetes {
            kubernetes.refresh()
            return
        }
        let present = simulator.presentProxies
        let topology = simulator.topology
        // Ambient pods have no proxy: nothing of theirs listens. Their node's ztunnel does.
        for proxy in topology.proxies where !topology.isAmbient(proxy: proxy.index) {
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
        let down = simulator.read { $0.ztunnelsDown }
        for ztunnel in topology.ztunnels {
            let key = topology.proxies.count + ztunnel.index
            let listening = listeners.withLock { $0[key] != nil }
            if down.contains(ztunnel.index) {
                if listening { try? await listeners.withLock({ $0.removeValue(forKey: key) })?.close() }
                continue
            }
            guard !listening else { continue }
            let channel = try await bind(host: ztunnel.host, port: ports.withLock { $0[key] } ?? simulator.options.adminPort, role: .ztunnel(ztunnel.index))
            ports.withLock { $0[key] = channel.localAddress?.port ?? simulator.options.adminPort }
            listeners.withLock { $0[key] = channel }
        }
    }

    /// The admin URL of every proxy (also of absent ones: their address stays reserved), and
    /// after them every ztunnel's (key: the number of proxies + the ztunnel's index). Ambient
    /// pods have none.
    public func adminURLs() -> [Int: String] {
        let known = ports.withLock { $0 }
        let topology = simulator.topology
        var urls: [Int: String] = [:]
        for proxy in topology.proxies where !topology.isAmbient(proxy: proxy.index) {
            urls[proxy.index] = "http://\(proxy.adminHost):\(known[proxy.index] ?? simulator.options.adminPort)"
        }
        for ztunnel in topology.ztunnels {
            let key = topology.proxies.count + ztunnel.index
            urls[key] = "http://\(ztunnel.host):\(known[key] ?? simulator.options.adminPort)"
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
        await kubernetes?.shutdown()
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
    /// The request so far (admin actions carry small bodies; more than 64 KB is cut off).
    private var parts = SimRequestParts(limit: 64 << 10)

    init(simulator: MeshSimulator, role: ListenerRole) {
        self.simulator = simulator
        self.role = role
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let (requestHead, body) = parts.take(unwrapInboundIn(data)) else { return }
        let local = context.localAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
        let remoteIsLoopback = context.remoteAddress?.ipAddress.map(SimResponder.isLoopback) ?? false
        var request = SimRequest(method: requestHead.method.rawValue, uri: requestHead.uri,
                                 headers: requestHead.headers.map { ($0.name, $0.value) },
                                 localAddress: local, remoteIsLoopback: remoteIsLoopback)
        request.body = body
        SimResponder(simulator: simulator, context: context).answer(request, head: requestHead, role: role)
    }
}

