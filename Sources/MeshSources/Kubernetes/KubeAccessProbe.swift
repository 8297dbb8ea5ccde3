import Foundation
import MeshModel

/// Asks the SelfSubjectAccessReviews a tier is chosen from, as `kubectl auth can-i` asks them:
/// list pods (discovery at all), `create pods/portforward` in istiod's namespace and in the
/// proxies' (istiod's debug API, Envoy's admin), `get pods/proxy` (pod-IP metrics) — for the
/// session's scope, and per namespace where RoleBindings grant more than the scope's answer.
public struct KubeAccessProbe: Sendable {
    let client: MeshClient

    public init(client: MeshClient) { self.client = client }

    public struct Question: Sendable, Hashable {
        var verb: String
        var resource: String
        var subresource: String?
        /// nil: every namespace.
        var namespace: String?
        /// One object (a rule with resourceNames allows only what names it).
        var name: String? = nil

        var words: String {
            "`\(verb) \(subresource.map { "\(resource)/\($0)" } ?? resource)` \(namespace.map { "in \($0)" } ?? "cluster-wide")"
        }

        static func portForward(_ namespace: String?) -> Question { Question(verb: "create", resource: "pods", subresource: "portforward", namespace: namespace) }
        static func podProxy(_ namespace: String?) -> Question { Question(verb: "get", resource: "pods", subresource: "proxy", namespace: namespace) }
    }

    /// What the scope's access reviews answered.
    public struct Answers: Sendable, Equatable {
        public var listPods: Bool
        /// A port-forward into istiod's namespace (its debug API on :15014).
        public var forwardIstiod: Bool
        public var pods: PodRights

        public init(listPods: Bool, forwardIstiod: Bool, pods: PodRights) {
            self.listPods = listPods
            self.forwardIstiod = forwardIstiod
            self.pods = pods
        }
    }

    /// The answers for `namespace` (nil: all namespaces) with istiod in `istiodNamespace`.
    public func answers(namespace: String?, istiodNamespace: String = KubeInventory.istiodNamespace) async throws(SourceError) -> Answers {
        let list = Question(verb: "list", resource: "pods", namespace: namespace)
        var asked: [Question: Bool] = [:]
        for question in [list, .portForward(istiodNamespace), .portForward(namespace), .podProxy(namespace)] where asked[question] == nil {
            asked[question] = try await allowed(question)
        }
        return Answers(listPods: asked[list] == true, forwardIstiod: asked[.portForward(istiodNamespace)] == true,
                       pods: PodRights(portForward: asked[.portForward(namespace)] == true, podProxy: asked[.podProxy(namespace)] == true))
    }

    /// Whether the API server allows `question` to the caller.
    func allowed(_ question: Question) async throws(SourceError) -> Bool {
        var attributes: [String: String] = ["verb": question.verb, "resource": question.resource]
        if let subresource = question.subresource { attributes["subresource"] = subresource }
        if let namespace = question.namespace { attributes["namespace"] = namespace }
        if let name = question.name { attributes["name"] = name }
        let review: [String: Any] = ["apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": ["resourceAttributes": attributes]]
        let body = (try? JSONSerialization.data(withJSONObject: review)).map { Array($0) } ?? []
        let request = MeshRequest(.POST, .kubernetesAPI, RequestPolicy.accessReviewPath, source: "kubernetes", accept: "application/json",
                                  alsoAccept: [201], body: body, contentType: "application/json")
        let response = try await client.send(request)
        return try SourceError.decode("kubernetes \(RequestPolicy.accessReviewPath)") {
            let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            return ((object?["status"] as? [String: Any])?["allowed"] as? Bool) ?? false
        }
    }
}

/// What a user may do with the pods of one namespace.
public struct PodRights: Sendable, Equatable {
    /// `create pods/portforward`: Envoy's admin API (certificates, config, actions).
    public var portForward: Bool
    /// `get pods/proxy`: the pod-IP ports (stats, pilot-agent's merged metrics).
    public var podProxy: Bool

    public init(portForward: Bool, podProxy: Bool) {
        self.portForward = portForward
        self.podProxy = podProxy
    }
}
