import Foundation
import MeshModel

/// Istio's routing and security resources read from the Kubernetes API — the objects istiod's
/// configz serves — for the tiers that cannot reach istiod. Re-read at most every `refresh`
/// seconds; a kind the caller may not list is left out, not an error for the rest.
actor KubeConfigObjects {
    static let kinds: [(path: String, kind: String, apiVersion: String)] = [
        ("/apis/networking.istio.io/v1/virtualservices", "VirtualService", "networking.istio.io/v1"),
        ("/apis/networking.istio.io/v1/destinationrules", "DestinationRule", "networking.istio.io/v1"),
        ("/apis/networking.istio.io/v1/gateways", "Gateway", "networking.istio.io/v1"),
        ("/apis/networking.istio.io/v1/serviceentries", "ServiceEntry", "networking.istio.io/v1"),
        ("/apis/networking.istio.io/v1/sidecars", "Sidecar", "networking.istio.io/v1"),
        ("/apis/security.istio.io/v1/peerauthentications", "PeerAuthentication", "security.istio.io/v1"),
        ("/apis/security.istio.io/v1/authorizationpolicies", "AuthorizationPolicy", "security.istio.io/v1"),
        ("/apis/gateway.networking.k8s.io/v1/gateways", "Gateway", "gateway.networking.k8s.io/v1"),
        ("/apis/gateway.networking.k8s.io/v1/httproutes", "HTTPRoute", "gateway.networking.k8s.io/v1"),
    ]

    let client: MeshClient
    let refresh: TimeInterval
    private var objects: [ConfigObject] = []
    private var readAt: Date?

    init(client: MeshClient, refresh: TimeInterval = 30) {
        self.client = client
        self.refresh = refresh
    }

    func current() async -> [ConfigObject] {
        if let readAt, Date().timeIntervalSince(readAt) < refresh { return objects }
        var read: [ConfigObject] = []
        for kind in Self.kinds {
            let request = MeshRequest(.GET, .kubernetesAPI, kind.path, source: "kubernetes", accept: "application/json")
            guard let response = try? await client.send(request),
                  let parsed = try? IstiodFormats.configList(response.body, kind: kind.kind, apiVersion: kind.apiVersion) else { continue }
            read += parsed
        }
        objects = read
        readAt = Date()
        return objects
    }
}
