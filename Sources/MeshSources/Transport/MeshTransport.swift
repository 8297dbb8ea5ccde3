import Foundation

/// Where a request goes. Today a base URL reached directly; the Kubernetes transports add a pod
/// and a port (port-forward, the API server's pod proxy) as further cases.
public enum MeshEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// A base URL without a trailing slash, e.g. `http://10.1.2.3:15000`.
    case url(String)
    /// A pod-IP port through the Kubernetes API server's pod proxy (:15090, :15020).
    case podProxy(namespace: String, pod: String, port: Int)
    /// A port of the pod's localhost through a Kubernetes port-forward (:15000, istiod's :15014).
    case portForward(namespace: String, pod: String, port: Int)
    /// A Service's port through the API server's service proxy (a Prometheus in the cluster).
    case serviceProxy(namespace: String, service: String, port: Int)
    /// The Kubernetes API server itself (discovery, lists, watches, access reviews).
    case kubernetesAPI

    /// Also the address a proxy's admin API is known by (`Proxy.adminURL`, operator actions):
    /// `portforward://NS/POD:PORT` and `podproxy://NS/POD:PORT` for the Kubernetes routes,
    /// which `init(address:)` reads back.
    public var description: String {
        switch self {
        case let .url(base): SecretRedaction.url(base)
        case let .podProxy(namespace, pod, port): "\(Self.podProxyScheme)\(namespace)/\(pod):\(port)"
        case let .portForward(namespace, pod, port): "\(Self.portForwardScheme)\(namespace)/\(pod):\(port)"
        case let .serviceProxy(namespace, service, port): "\(Self.serviceProxyScheme)\(namespace)/\(service):\(port)"
        case .kubernetesAPI: "kubernetes-api"
        }
    }

    static let portForwardScheme = "portforward://"
    static let podProxyScheme = "podproxy://"
    static let serviceProxyScheme = "serviceproxy://"

    /// The endpoint an address names: a Kubernetes route written by `description`, else a URL.
    public init(address: String) {
        for scheme in [Self.portForwardScheme, Self.podProxyScheme, Self.serviceProxyScheme] where address.hasPrefix(scheme) {
            let rest = address.dropFirst(scheme.count)
            if let slash = rest.firstIndex(of: "/"), let colon = rest.lastIndex(of: ":"), colon > slash, let port = Int(rest[rest.index(after: colon)...]) {
                let namespace = String(rest[..<slash]), name = String(rest[rest.index(after: slash)..<colon])
                switch scheme {
                case Self.portForwardScheme: self = .portForward(namespace: namespace, pod: name, port: port)
                case Self.podProxyScheme: self = .podProxy(namespace: namespace, pod: name, port: port)
                default: self = .serviceProxy(namespace: namespace, service: name, port: port)
                }
                return
            }
        }
        self = .url(address)
    }
}

/// The HTTP methods a source or an operator action may use.
public enum MeshMethod: String, Sendable, Hashable, CaseIterable {
    case GET, HEAD, POST, PUT, DELETE, PATCH

    /// GET and HEAD change nothing: a read-only session sends nothing else.
    public var isRead: Bool { self == .GET || self == .HEAD }
}

/// What a source asks: an endpoint, a method and a path. How it gets there is the transport's.
public struct MeshRequest: Sendable, Equatable {
    public var endpoint: MeshEndpoint
    public var method: MeshMethod
    /// Path and query, e.g. `/stats/prometheus?filter=istio_request%7Cserver.state`.
    public var path: String
    public var body: [UInt8]?
    public var contentType: String?
    public var accept: String?
    /// Send the transport's credential (istiod's or Prometheus's bearer token; proxies get none).
    public var authenticate = false
    /// Statuses besides 200 that are answers, not failures (`/ready`'s 503, Prometheus's error bodies).
    public var alsoAccept: Set<Int> = []
    /// Who this is in errors: "istiod", "proxy reviews-v1-….default".
    public var source: String

    public init(_ method: MeshMethod = .GET, _ endpoint: MeshEndpoint, _ path: String, source: String, accept: String? = nil,
                authenticate: Bool = false, alsoAccept: Set<Int> = [], body: [UInt8]? = nil, contentType: String? = nil) {
        self.endpoint = endpoint
        self.method = method
        self.path = path
        self.source = source
        self.accept = accept
        self.authenticate = authenticate
        self.alsoAccept = alsoAccept
        self.body = body
        self.contentType = contentType
    }

    /// Source and endpoint for errors: "proxy x.default http://10.1.2.3:15000/stats/prometheus?…".
    public var failureSource: String { "\(source) \(endpoint)\(SecretRedaction.url(path))" }

    /// A failure of this request.
    public func failure(_ reason: SourceError.Reason) -> SourceError { SourceError(source: failureSource, reason: reason) }
}

/// An answer: status, body, and how long it took.
public struct MeshResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    /// Milliseconds from sending to the last byte.
    public var latencyMs: Double

    public init(status: Int, body: [UInt8], latencyMs: Double) {
        self.status = status
        self.body = body
        self.latencyMs = latencyMs
    }
}

/// A route to the mesh: takes a request the session's policy permitted and returns the answer or
/// a typed error naming the source. Sources never see a transport directly, only a `MeshClient`,
/// and a `PermittedRequest` can only be made by `RequestPolicy.permit`: no transport can send
/// what the policy refused, whatever it is.
public protocol MeshTransport: Sendable {
    func send(_ request: PermittedRequest) async throws(SourceError) -> MeshResponse
    func shutdown() async
}
