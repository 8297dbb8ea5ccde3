import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Synchronization

/// The simulated cluster's API server: HTTPS on 127.0.0.1 (or another loopback address) with its own CA, bearer tokens and
/// client certificates, the routes of `KubeAPIRouter`, watches streamed as newline-delimited
/// JSON, the pod proxy, and `pods/portforward` over WebSocket into the pods' ports
/// (`KubePortForward`, through the simulated pod network `KubePodNetwork`).
public final class KubeAPIServer: Sendable {
    let cluster: KubeCluster
    private let group: any EventLoopGroup
    private let podNetwork: KubePodNetwork
    private let channel: Mutex<(any Channel)?> = Mutex(nil)

    /// The API server's URL once started.
    public let url: Mutex<String> = Mutex("")

    public init(simulator: MeshSimulator, group: any EventLoopGroup, tokenLifetime: TimeInterval) throws {
        cluster = try KubeCluster(simulator: simulator, tokenLifetime: tokenLifetime)
        self.group = group
        podNetwork = KubePodNetwork(simulator: simulator, group: group)
    }

    /// Binds `host`:`port` (0: any free port) and the pod network; returns the server URL.
    public func start(host: String = "127.0.0.1", port: Int) async throws -> String {
        let backend = try await podNetwork.start()
        let certificates = cluster.certificates
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(certificates.serverCertificatePEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(certificates.serverKeyPEM.utf8), format: .pem)))
        tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(certificates.caPEM.utf8), format: .pem)])
        // Client certificates are asked for, not required: token users present none.
        tls.certificateVerification = .optionalVerification
        let context = try NIOSSLContext(configuration: tls)
        let cluster = cluster
        let address = Mutex("")
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    let upgrader = KubePortForward.upgrader(cluster: cluster, backend: backend)
                    // Once upgraded to a port-forward, the connection carries WebSocket frames:
                    // the HTTP handler leaves with the HTTP codec.
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            context.pipeline.removeHandler(name: KubeAPIHandler.name, promise: nil)
                        }), withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(KubeAPIHandler(cluster: cluster, serverAddress: address.withLock { $0 }),
                                                                   name: KubeAPIHandler.name)
                }
            }
        let bound = try await bootstrap.bind(host: host, port: port).get()
        let actual = bound.localAddress?.port ?? port
        address.withLock { $0 = "\(host):\(actual)" }
        channel.withLock { $0 = bound }
        let url = "https://\(host):\(actual)"
        self.url.withLock { $0 = url }
        return url
    }

    /// Writes the kubeconfig (and the exec plugin beside it) for this server.
    public func writeKubeconfig(to path: String) throws {
        try KubeconfigWriter.write(to: path, server: url.withLock { $0 }, certificates: cluster.certificates, credentials: cluster.credentials)
    }

    /// Records pod changes and sends them to open watches (the simulator's tick calls this).
    public func refresh() { _ = cluster.refresh() }

    /// Forgets past changes: a watch or continue token from before now gets 410 Gone.
    public func compact() { cluster.compact() }

    /// The next `requests` requests answer 429 with `Retry-After: retryAfter`.
    public func throttle(requests: Int, retryAfter: Int) { cluster.throttle(requests: requests, retryAfter: retryAfter) }

    /// Takes `subresource` (`portforward`, `proxy`) in `namespace` away from `context` from now on.
    public func revoke(_ context: KubeSimContext, subresource: String, namespace: String) {
        cluster.revoke(context, subresource: subresource, namespace: namespace)
    }

    /// A new client certificate of the `sim-cert` user, valid for `lifetime` seconds from now.
    public func issueClientCertificate(lifetime: TimeInterval) throws -> (certificatePEM: String, keyPEM: String) {
        try cluster.certificates.issueClientCertificate(lifetime: lifetime)
    }

    /// A context's bearer token, for tests that talk to the server without a kubeconfig.
    public func token(for context: KubeSimContext) -> String? { cluster.credentials.tokens[context] }

    public var caPEM: String { cluster.certificates.caPEM }

    public func shutdown() async {
        if let channel = channel.withLock({ $0 }) { try? await channel.close() }
        await podNetwork.shutdown()
    }
}

/// Authenticates one HTTP request and answers it through `KubeAPIRouter`.
final class KubeAPIHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    static let name = "kube-api"

    let cluster: KubeCluster
    let serverAddress: String
    private var parts = SimRequestParts(limit: 1 << 20)
    private var watchID: Int?

    init(cluster: KubeCluster, serverAddress: String) {
        self.cluster = cluster
        self.serverAddress = serverAddress
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let (requestHead, body) = parts.take(unwrapInboundIn(data)) else { return }
        var request = SimRequest(method: requestHead.method.rawValue, uri: requestHead.uri,
                                 headers: requestHead.headers.map { ($0.name, $0.value) }, localAddress: serverAddress)
        request.body = body
        answer(request, head: requestHead, context: context)
    }

    private func answer(_ request: SimRequest, head requestHead: HTTPRequestHead, context: ChannelHandlerContext) {
        let responder = SimResponder(simulator: cluster.simulator, context: context)
        let verdict = cluster.credentials.authenticate(authorization: request.header("Authorization"),
                                                       clientCommonName: Self.clientCommonName(context.channel), now: Date())
        guard case let .identified(identity) = verdict else {
            if ["/version", "/healthz", "/livez", "/readyz"].contains(request.path) {
                // Public information, as system:public-info-viewer grants it.
                return responder.send(.json(KubeDiscovery.version(), pretty: true), head: requestHead)
            }
            return responder.send(KubeAPIRouter.status(401, "Unauthorized", "Unauthorized"), head: requestHead)
        }
        if let retryAfter = cluster.takeThrottle() {
            var response = KubeAPIRouter.status(429, "TooManyRequests", "Too many requests, please try again later.")
            response.headers = [("Retry-After", String(retryAfter))]
            return responder.send(response, head: requestHead)
        }
        switch KubeAPIRouter(cluster: cluster, serverAddress: serverAddress).route(request, identity: identity) {
        case let .response(response): responder.send(response, head: requestHead)
        case let .podProxy(pod, port, forwarded): responder.answer(forwarded, head: requestHead, role: .pod(pod, port: port, fromLocalhost: false))
        case let .relay(url, forwarded):
            let bound = NIOLoopBound((responder, requestHead), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            Task {
                let response = await KubeServiceRelay.fetch(url + forwarded.uri, headers: forwarded.headers)
                eventLoop.execute { bound.value.0.send(response, head: bound.value.1) }
            }
        case let .watch(watch): startWatch(watch, request: request, head: requestHead, context: context)
        }
    }

    /// Streams the watch's events as chunked newline-delimited JSON until the client leaves or
    /// `timeoutSeconds` passes; a version compacted away is one `ERROR` event with 410.
    private func startWatch(_ watch: KubeWatchRequest, request: SimRequest, head requestHead: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: requestHead.version, status: .ok, headers: headers))), promise: nil)
        let channel = context.channel
        let send: @Sendable (JSONValue) -> Void = { line in
            var buffer = channel.allocator.buffer(capacity: 512)
            buffer.writeBytes(JSONWriter.write(line, pretty: false) + [0x0A])
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        }
        let wants: @Sendable (KubeWatchEvent) -> Bool = { event in
            guard watch.resource.plural == "pods", watch.namespace == nil || watch.namespace == event.namespace else { return false }
            return event.type == "DELETED" || (watch.labels.matchesLabels(of: event.object) && watch.fields.matchesFields(of: event.object))
        }
        let watcher = KubeCluster.Watcher(wants: wants, send: { event in send(obj(("type", .string(event.type)), ("object", event.object))) })
        let start: Int
        if let after = watch.after {
            start = after
        } else {
            // No version: the current objects as ADDED, then what changes after them.
            let (objects, version) = cluster.list(watch.resource)
            for object in objects where (watch.namespace == nil || object["metadata"]?["namespace"]?.stringValue == watch.namespace)
                && watch.labels.matchesLabels(of: object) && watch.fields.matchesFields(of: object) {
                send(obj(("type", "ADDED"), ("object", object)))
            }
            start = version
        }
        guard let id = cluster.watch(after: start, watcher) else {
            send(obj(("type", "ERROR"), ("object", KubeAPIRouter.statusObject(410, "Expired", "too old resource version: \(start) (\(cluster.oldestServed))"))))
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        watchID = id
        let seconds = request.query["timeoutSeconds"].flatMap(Int64.init) ?? 1800
        context.eventLoop.scheduleTask(in: .seconds(seconds)) { [cluster] in
            cluster.stopWatching(id)
            channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let watchID { cluster.stopWatching(watchID) }
        context.fireChannelInactive()
    }

    /// The common name of the client certificate presented on this connection, if any.
    static func clientCommonName(_ channel: any Channel) -> String? {
        guard let handler = try? channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
              let certificate = handler.peerCertificate, let der = try? certificate.toDERBytes() else { return nil }
        return KubeCertificates.commonName(der: der)
    }
}
