/// What meshtop needs from an Envoy `/config_dump`: clusters, listeners, routes, secrets and
/// the node, decoded in one streaming pass that skips everything else.
public struct ConfigDump: Sendable, Equatable {
    public struct Cluster: Sendable, Equatable {
        public var name: String
        public var type: String?
        public var versionInfo: String?
        /// NACK detail when the last update of this cluster was rejected.
        public var error: String?
        public var dynamic: Bool
    }

    public struct Listener: Sendable, Equatable {
        public var name: String
        public var address: String?
        public var port: Int?
        public var error: String?
    }

    public struct WeightedCluster: Sendable, Equatable {
        public var name: String
        public var weight: Int?
    }

    public struct Route: Sendable, Equatable {
        public var name: String?
        /// `prefix /`, `path /login`, `regex …`.
        public var match: String
        public var clusters: [WeightedCluster]
        public var timeout: String?
        public var retries: Int?
    }

    public struct VirtualHost: Sendable, Equatable {
        public var name: String
        public var domains: [String]
        public var routes: [Route]
    }

    public struct RouteConfig: Sendable, Equatable {
        public var name: String
        public var versionInfo: String?
        public var virtualHosts: [VirtualHost]
    }

    public struct Secret: Sendable, Equatable {
        public var name: String
        /// PEM text of the certificate chain or trusted CA bundle (nil when not inline).
        public var certificatePEM: String?
        public var isTrustBundle: Bool
        public var warming: Bool
        public var versionInfo: String?
    }

    public var nodeID: String?
    public var istioVersion: String?
    /// `v3` or `v2alpha`, from the dumps' type URLs.
    public var apiVersion: String?
    public var clusters: [Cluster] = []
    public var listeners: [Listener] = []
    public var routeConfigs: [RouteConfig] = []
    public var secrets: [Secret] = []
    /// Endpoint assignments (`?include_eds`'s EndpointsConfigDump), counted.
    public var endpointConfigs = 0
    /// Type URLs that were present but not understood (skipped, as Envoy adds dumps over time).
    public var skippedTypes: [String] = []
    public var configCount = 0

    public init() {}
}
