import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// How to reach one cluster's API server: its URL, TLS (CA, client certificate, server name)
/// and where bearer tokens come from (a kubeconfig user: a token, a token file, an exec
/// plugin). `rejected` is called after a 401, so the next token is a fresh one.
public struct KubeAPIAccess: Sendable {
    public var server: String
    public var tls: TLSConfiguration
    public var tlsServerName: String?
    /// Whose credential requests carry, for a refusal: "kubeconfig user alice (exec plugin aws)".
    public var identity: String
    public var bearer: @Sendable () async throws(SourceError) -> Credential?
    public var rejected: @Sendable () async -> Void
    /// The TLS configuration for the client identity in force now, and its generation: an exec
    /// plugin that issues client certificates (Teleport's, OpenShift's) hands out a new one when
    /// the last expires, and connections from then on present it. Default: `tls`, forever.
    public var tlsNow: @Sendable () async throws(SourceError) -> (tls: TLSConfiguration, generation: Int)

    public init(server: String, tls: TLSConfiguration, tlsServerName: String? = nil, identity: String = "the kubeconfig's credential",
                bearer: @escaping @Sendable () async throws(SourceError) -> Credential?, rejected: @escaping @Sendable () async -> Void = {}) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.tls = tls
        self.tlsServerName = tlsServerName
        self.identity = identity
        self.bearer = bearer
        self.rejected = rejected
        tlsNow = { (tls, 0) }
    }

    /// A 401 again, with a credential fetched after the first: the error says whose credential
    /// the API server refuses — an exec plugin's provider says it in its own words (which plugin,
    /// when it runs again) — instead of the generic 401 advice for a token file.
    func refusedAgain(_ request: MeshRequest, body: String) async -> SourceError {
        await rejected()
        do { _ = try await bearer() } catch { return error }
        return request.failure(.auth(.credential("HTTP 401 — the API server does not accept \(identity)" + SourceError.Reason.quoted(body))))
    }
}

/// The mesh reached through a Kubernetes API server, as istioctl and Kiali reach it: a pod's
/// localhost ports (Envoy's admin :15000, istiod's :15014) through port-forwards — at most
/// `maxPortForwards` open at once, each kept for its keep-alive connection — and the pod-IP
/// ports (:15090, :15020) through the API server's pod proxy. Plain URLs (a Prometheus) go
/// straight out. A 401 fetches a fresh credential and retries once; a 429 waits for its
/// `Retry-After` when that fits in the deadline.
public final class KubernetesTransport: MeshTransport {
    /// Which context and cluster this is, for the header and errors.
    public var server: String { api.server }
    let api: KubeAPIAccess
    /// Where API requests are sent: the server URL, or with `tls-server-name` the same URL
    /// under that name (the client connects to the real host and verifies the name).
    let apiBase: String
    let apiDNSOverride: [String: String]
    /// The API client of the current TLS generation (a new client identity means new connections).
    private let apiClients: Mutex<(generation: Int, client: DirectHTTPTransport)>
    let direct: DirectHTTPTransport
    let pool: PortForwardPool
    let timeout: Double
    let bodyLimit: Int
    /// 403s from port-forwards and the pod proxy, by namespace, for the inventory to fall back a tier.
    public let refusals = KubeRefusals()

    public init(api: KubeAPIAccess, timeout: Double = 5, bodyLimit: Int = 64 << 20, maxPortForwards: Int = 16, direct: DirectHTTPTransport? = nil) {
        self.api = api
        self.timeout = timeout
        self.bodyLimit = bodyLimit
        let named = Self.named(server: api.server, tlsServerName: api.tlsServerName)
        apiBase = named.base
        apiDNSOverride = named.dnsOverride
        apiClients = Mutex((0, DirectHTTPTransport(timeout: timeout, bodyLimit: bodyLimit, tls: api.tls, dnsOverride: named.dnsOverride)))
        self.direct = direct ?? DirectHTTPTransport(timeout: timeout, bodyLimit: bodyLimit, tls: nil)
        pool = PortForwardPool(api: api, limit: maxPortForwards, timeout: .milliseconds(Int64(timeout * 1000)), refusals: refusals)
    }

    public func send(_ permitted: PermittedRequest) async throws(SourceError) -> MeshResponse {
        let request = permitted.request
        switch request.endpoint {
        case .url: return try await direct.send(permitted)
        case let .podProxy(namespace, pod, port):
            let prefix = "/api/v1/namespaces/\(namespace)/pods/\(pod):\(port)/proxy"
            do {
                return try await throughAPI(permitted.rerouted(to: .url(apiBase), path: prefix + request.path), original: request)
            } catch {
                if case .auth(.forbidden) = error.reason { refusals.record(.podProxy, namespace: namespace) }
                throw error
            }
        case let .portForward(namespace, pod, port):
            return try await pool.send(request, to: PortForwardKey(namespace: namespace, pod: pod, port: port), limit: bodyLimit)
        case let .serviceProxy(namespace, service, port):
            let prefix = "/api/v1/namespaces/\(namespace)/services/\(service):\(port)/proxy"
            return try await throughAPI(permitted.rerouted(to: .url(apiBase), path: prefix + request.path), original: request)
        case .kubernetesAPI:
            return try await throughAPI(permitted.rerouted(to: .url(apiBase), path: request.path), original: request)
        }
    }

    /// Sends a request to the API server with the current token, once more after a 401 with a
    /// fresh one, or after a 429's `Retry-After`.
    func throughAPI(_ permitted: PermittedRequest, original: MeshRequest) async throws(SourceError) -> MeshResponse {
        var attempt = 0
        while true {
            attempt += 1
            let token = try await api.bearer()
            let client = try await apiClient()
            do {
                return try await client.send(permitted, bearer: token)
            } catch {
                let renamed = error.named(original.failureSource)
                switch error.reason {
                case .auth(.unauthorized) where attempt == 1:
                    await api.rejected()
                case let .auth(.unauthorized(body)):
                    throw await api.refusedAgain(original, body: body)
                case let .throttled(retryAfter) where attempt == 1 && retryAfter <= timeout:
                    try? await Task.sleep(for: .seconds(retryAfter))
                default:
                    throw renamed
                }
            }
        }
    }

    /// The TLS generation API requests go out with (tests).
    var apiGeneration: Int { apiClients.withLock { $0.generation } }

    /// The client for the TLS configuration in force; when it changed, a new one (the old one
    /// closes once the requests it carries have had their deadline).
    func apiClient() async throws(SourceError) -> DirectHTTPTransport {
        let (tls, generation) = try await api.tlsNow()
        let (client, retired) = apiClients.withLock { current -> (DirectHTTPTransport, DirectHTTPTransport?) in
            guard current.generation != generation else { return (current.client, nil) }
            let retired = current.client
            current = (generation, DirectHTTPTransport(timeout: timeout, bodyLimit: bodyLimit, tls: tls, dnsOverride: apiDNSOverride))
            return (current.client, retired)
        }
        if let retired {
            let grace = timeout
            Task {
                try? await Task.sleep(for: .seconds(grace))
                await retired.shutdown()
            }
        }
        return client
    }

    /// The API server's URL under `tls-server-name`, and the override that connects that name to
    /// the URL's real host: the handshake sends and checks the name, as client-go's ServerName does.
    static func named(server: String, tlsServerName: String?) -> (base: String, dnsOverride: [String: String]) {
        guard let name = tlsServerName, !name.isEmpty, var components = URLComponents(string: server), let host = components.host, host != name else {
            return (server, [:])
        }
        components.host = name
        return (components.string ?? server, [name: host])
    }

    /// Port-forwards open or opening now (never more than the limit).
    public var openPortForwards: Int { get async { await pool.openCount } }

    public func shutdown() async {
        await pool.closeAll()
        await apiClients.withLock { $0.client }.shutdown()
        await direct.shutdown()
    }
}
