import Foundation

/// The part of a Pod a mesh console reads: who it is, whether `istio-proxy` runs in it (as a
/// container or as a native sidecar in `initContainers`), whether it is istiod, its phase.
public struct KubePod: Sendable, Decodable, Hashable {
    public struct Metadata: Sendable, Decodable, Hashable {
        public var name: String?
        public var namespace: String?
        public var labels: [String: String]?
        public var resourceVersion: String?
    }

    public struct Container: Sendable, Decodable, Hashable {
        public var name: String?
        public var restartPolicy: String?
    }

    public struct Spec: Sendable, Decodable, Hashable {
        public var containers: [Container]?
        public var initContainers: [Container]?
    }

    public struct Status: Sendable, Decodable, Hashable {
        public var phase: String?
        public var podIP: String?
    }

    public var metadata: Metadata?
    public var spec: Spec?
    public var status: Status?

    public init(metadata: Metadata? = nil, spec: Spec? = nil, status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public var name: String { metadata?.name ?? "" }
    public var namespace: String { metadata?.namespace ?? "" }
    public var labels: [String: String] { metadata?.labels ?? [:] }

    /// `istio-proxy` in either list (Istio ≥ 1.28 injects it as a native sidecar by default).
    public var hasIstioProxy: Bool {
        (spec?.containers ?? []).contains { $0.name == "istio-proxy" }
            || (spec?.initContainers ?? []).contains { $0.name == "istio-proxy" && $0.restartPolicy == "Always" }
    }

    public var isIstiod: Bool { labels["app"] == "istiod" }
    public var isGateway: Bool { labels["istio"] == "ingressgateway" || labels["istio"] == "egressgateway" || labels["gateway.networking.k8s.io/gateway-name"] != nil }
    public var isRunning: Bool { status?.phase == "Running" }
    /// `<pod>.<namespace>`, Envoy's node id short form (what istiod's syncz lists).
    public var proxyID: String { "\(name).\(namespace)" }
    var key: String { "\(namespace)/\(name)" }
}

/// A page of a pod list.
struct KubePodList: Decodable {
    struct Metadata: Decodable {
        var resourceVersion: String?
        var `continue`: String?
    }

    var metadata: Metadata?
    var items: [KubePod]?
}

/// One line of a watch: a pod, or for an `ERROR` a Status (410 Gone after compaction).
struct KubePodEvent: Decodable {
    struct Status: Decodable {
        var code: Int?
        var message: String?
    }

    var type: String
    var object: KubePod
    var status: Status?

    private enum Keys: String, CodingKey { case type, object }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        type = try container.decode(String.self, forKey: .type)
        if type == "ERROR" {
            status = try container.decode(Status.self, forKey: .object)
            object = KubePod()
        } else {
            object = try container.decode(KubePod.self, forKey: .object)
        }
    }
}
