/// The resources the simulated API server knows, as discovery lists them: what a mesh console
/// reads (pods, namespaces, services, EndpointSlices, the Istio and Gateway API objects) and the
/// review it posts. One table, so discovery, routing, tables and RBAC agree.
struct KubeResource: Sendable, Equatable {
    var group: String
    var version: String
    var plural: String
    var singular: String
    var kind: String
    var namespaced: Bool
    var shortNames: [String] = []
    var verbs: [String] = ["get", "list", "watch"]
    /// Subresources discovery lists under this resource (`pods/proxy`, `pods/portforward`).
    var subresources: [(name: String, kind: String, verbs: [String])] = []

    var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    static func == (lhs: KubeResource, rhs: KubeResource) -> Bool { lhs.group == rhs.group && lhs.plural == rhs.plural }
}

enum KubeResources {
    static let all: [KubeResource] = [
        KubeResource(group: "", version: "v1", plural: "namespaces", singular: "namespace", kind: "Namespace", namespaced: false, shortNames: ["ns"]),
        KubeResource(group: "", version: "v1", plural: "pods", singular: "pod", kind: "Pod", namespaced: true, shortNames: ["po"],
                     subresources: [("proxy", "PodProxyOptions", ["create", "delete", "get", "patch", "update"]),
                                    ("portforward", "PodPortForwardOptions", ["create", "get"])]),
        KubeResource(group: "", version: "v1", plural: "services", singular: "service", kind: "Service", namespaced: true, shortNames: ["svc"],
                     subresources: [("proxy", "ServiceProxyOptions", ["create", "delete", "get", "patch", "update"])]),
        KubeResource(group: "discovery.k8s.io", version: "v1", plural: "endpointslices", singular: "endpointslice", kind: "EndpointSlice", namespaced: true),
        KubeResource(group: "networking.istio.io", version: "v1", plural: "virtualservices", singular: "virtualservice", kind: "VirtualService",
                     namespaced: true, shortNames: ["vs"]),
        KubeResource(group: "networking.istio.io", version: "v1", plural: "destinationrules", singular: "destinationrule", kind: "DestinationRule",
                     namespaced: true, shortNames: ["dr"]),
        KubeResource(group: "networking.istio.io", version: "v1", plural: "gateways", singular: "gateway", kind: "Gateway", namespaced: true, shortNames: ["gw"]),
        KubeResource(group: "networking.istio.io", version: "v1", plural: "serviceentries", singular: "serviceentry", kind: "ServiceEntry",
                     namespaced: true, shortNames: ["se"]),
        KubeResource(group: "networking.istio.io", version: "v1", plural: "sidecars", singular: "sidecar", kind: "Sidecar", namespaced: true),
        KubeResource(group: "security.istio.io", version: "v1", plural: "authorizationpolicies", singular: "authorizationpolicy", kind: "AuthorizationPolicy",
                     namespaced: true, shortNames: ["ap"]),
        KubeResource(group: "security.istio.io", version: "v1", plural: "peerauthentications", singular: "peerauthentication", kind: "PeerAuthentication",
                     namespaced: true, shortNames: ["pa"]),
        KubeResource(group: "telemetry.istio.io", version: "v1", plural: "telemetries", singular: "telemetry", kind: "Telemetry", namespaced: true,
                     shortNames: ["telemetry"]),
        KubeResource(group: "gateway.networking.k8s.io", version: "v1", plural: "gateways", singular: "gateway", kind: "Gateway", namespaced: true,
                     shortNames: ["gtw"]),
        KubeResource(group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", singular: "httproute", kind: "HTTPRoute", namespaced: true),
        KubeResource(group: "gateway.networking.k8s.io", version: "v1", plural: "grpcroutes", singular: "grpcroute", kind: "GRPCRoute", namespaced: true),
        KubeResource(group: "authorization.k8s.io", version: "v1", plural: "selfsubjectaccessreviews", singular: "selfsubjectaccessreview",
                     kind: "SelfSubjectAccessReview", namespaced: false, verbs: ["create"]),
    ]

    static func find(group: String, version: String, plural: String) -> KubeResource? {
        all.first { $0.group == group && $0.version == version && $0.plural == plural }
    }

    /// Group versions in discovery order, core first.
    static var groups: [(name: String, version: String)] {
        var seen: [(String, String)] = []
        for resource in all where !resource.group.isEmpty && !seen.contains(where: { $0.0 == resource.group }) {
            seen.append((resource.group, resource.version))
        }
        return seen
    }
}
