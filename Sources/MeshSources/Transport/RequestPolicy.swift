import Foundation

/// Which requests a session may send. Polling only ever reads; the one other path, operator
/// actions, is allowed only in an operator session and only as one of the requests the admin
/// clients define for them. Checked once, here, for every transport.
public enum RequestPolicy: Sendable, Equatable {
    /// GET and HEAD only (dashboard, `--readonly`).
    case readOnly
    /// Also the requests of operator actions (`OperatorActionRequests`), and nothing else.
    case operatorActions

    /// The stricter of two policies (a poller gets `.readOnly` whatever its session's is).
    public func narrowed(to other: RequestPolicy) -> RequestPolicy { self == .readOnly || other == .readOnly ? .readOnly : self }

    /// Lets `request` out, or says why not. Internal: only `MeshClient` asks, so code outside
    /// this module holds a transport only behind a client and its policy.
    func permit(_ request: MeshRequest) throws(SourceError) -> PermittedRequest {
        if request.endpoint == .kubernetesAPI, request.method == .POST, QueryText.barePath(request.path) == Self.accessReviewPath {
            return PermittedRequest(request)
        }
        if let refusal = refusal(method: request.method, path: request.path) {
            throw SourceError(source: "\(request.method.rawValue) \(request.failureSource)", reason: .refused(refusal))
        }
        return PermittedRequest(request)
    }

    /// A SelfSubjectAccessReview asks the API server what the caller may do and changes
    /// nothing (`kubectl auth can-i`): the one POST a read-only session sends, to the
    /// Kubernetes API only, to choose its access tier.
    public static let accessReviewPath = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"

    /// Why `method` to `path` may not be sent, or nil when it may.
    public func refusal(method: MeshMethod, path: String) -> String? {
        if method.isRead { return nil }
        switch self {
        case .readOnly: return "read-only session (dashboard or --readonly) sends GET and HEAD only"
        case .operatorActions:
            return OperatorActionRequests.allowed.contains(OperatorActionRequests.key(method, QueryText.barePath(path))) ? nil : "not an operator action"
        }
    }
}

/// A request the session's policy let out. Only `RequestPolicy.permit` makes one (the
/// initializer is private to this file), and transports take nothing else.
public struct PermittedRequest: Sendable {
    public let request: MeshRequest

    fileprivate init(_ request: MeshRequest) { self.request = request }

    /// The same request sent another way (the API server's pod proxy path in front of it): a
    /// transport may re-address what the policy let out, never change its method or body.
    func rerouted(to endpoint: MeshEndpoint, path: String) -> PermittedRequest {
        var moved = request
        moved.endpoint = endpoint
        moved.path = path
        moved.authenticate = true
        return PermittedRequest(moved)
    }
}

/// What sources and operator actions send through: one transport behind one policy.
public struct MeshClient: Sendable {
    public let policy: RequestPolicy
    public let transport: any MeshTransport

    public init(transport: any MeshTransport, policy: RequestPolicy) {
        self.transport = transport
        self.policy = policy
    }

    public func send(_ request: MeshRequest) async throws(SourceError) -> MeshResponse {
        try await transport.send(try policy.permit(request))
    }

    /// The same transport behind a policy no wider than this one's: polling gets a read-only
    /// client over the session's transport, so it is GET-only by construction.
    public func restricted(to policy: RequestPolicy) -> MeshClient {
        MeshClient(transport: transport, policy: self.policy.narrowed(to: policy))
    }

    public func shutdown() async { await transport.shutdown() }
}

extension MeshClient {
    /// GETs `path` of a proxy target for its observation, whose latency it adds to; returns the
    /// request too, so decoding errors can name it.
    public func read(_ target: ScrapeTarget, _ path: String, _ source: String, accept: String? = nil, alsoAccept: Set<Int> = [],
                     via endpoint: MeshEndpoint? = nil, into observation: inout ProxyObservation) async throws(SourceError) -> (MeshRequest, MeshResponse) {
        let request = MeshRequest(.GET, endpoint ?? target.endpoint, path, source: source, accept: accept, alsoAccept: alsoAccept)
        let response = try await send(request)
        observation.latencyMs += response.latencyMs
        return (request, response)
    }
}
