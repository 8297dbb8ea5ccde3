import Foundation
import MeshModel

/// Chooses the access tier from SelfSubjectAccessReviews, as `kubectl auth can-i` asks them:
/// list pods (discovery at all), `create pods/portforward` in istiod's namespace and in the
/// proxies' (istiod's debug API, Envoy's admin), `get pods/proxy` (pod-IP metrics). Each
/// permission missing is said in words, with what it costs.
public struct KubeAccessProbe: Sendable {
    let client: MeshClient

    public init(client: MeshClient) { self.client = client }

    /// How the missing istiod port-forward ends, for the inventory to leave istiod out.
    static let noIstiodSuffix = ": istiod's sync state and config through its debug API unavailable"


    public struct Question: Sendable, Hashable {
        var verb: String
        var resource: String
        var subresource: String?
        /// nil: every namespace.
        var namespace: String?

        var words: String {
            "`\(verb) \(subresource.map { "\(resource)/\($0)" } ?? resource)` \(namespace.map { "in \($0)" } ?? "cluster-wide")"
        }
    }

    /// The tier for `namespace` (nil: all namespaces) with istiod in `istiodNamespace`.
    public func probe(context: String, cluster: String, namespace: String?, istiodNamespace: String = "istio-system") async throws(SourceError) -> ClusterAccess {
        let list = Question(verb: "list", resource: "pods", namespace: namespace)
        let forwardIstiod = Question(verb: "create", resource: "pods", subresource: "portforward", namespace: istiodNamespace)
        let forwardProxies = Question(verb: "create", resource: "pods", subresource: "portforward", namespace: namespace)
        let podProxy = Question(verb: "get", resource: "pods", subresource: "proxy", namespace: namespace)
        var answers: [Question: Bool] = [:]
        for question in [list, forwardIstiod, forwardProxies, podProxy] where answers[question] == nil {
            answers[question] = try await allowed(question)
        }
        var missing: [String] = []
        if answers[list] != true {
            return ClusterAccess(context: context, cluster: cluster, namespace: namespace, tier: .none,
                                 missing: ["no \(list.words): no pods to discover — ask for the pod-metrics ClusterRole (README, Connecting to a cluster)"])
        }
        if answers[forwardIstiod] != true {
            missing.append("no \(forwardIstiod.words)" + Self.noIstiodSuffix)
        }
        if answers[forwardProxies] != true {
            missing.append("no \(forwardProxies.words): certificates from istio_agent_cert_expiry_seconds only, no config, no actions")
        }
        if answers[podProxy] != true {
            missing.append("no \(podProxy.words): no RED metrics from the pods — give --prometheus")
        }
        let tier: ClusterAccess.Tier = answers[forwardProxies] == true ? .portForward : answers[podProxy] == true ? .podMetrics : .prometheusOnly
        return ClusterAccess(context: context, cluster: cluster, namespace: namespace, tier: tier, missing: missing)
    }

    func allowed(_ question: Question) async throws(SourceError) -> Bool {
        var attributes: [String: String] = ["verb": question.verb, "resource": question.resource]
        if let subresource = question.subresource { attributes["subresource"] = subresource }
        if let namespace = question.namespace { attributes["namespace"] = namespace }
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
