/// One HTTP route of a VirtualService, with the settings the Routes view shows.
public struct RouteRule: Sendable, Codable, Hashable, Identifiable {
    public var id: String { "\(namespace)/\(virtualService)#\(index)" }
    public var virtualService: String
    public var namespace: String
    /// Hosts the VirtualService applies to.
    public var hosts: [String]
    /// Position of this route within `spec.http`.
    public var index: Int
    public var name: String?
    /// Human-readable match conditions (`uri prefix /api`, `header end-user exact jason`).
    public var matches: [String]
    public var destinations: [WeightedDestination]
    public var timeout: String?
    public var retries: RetryPolicy?
    public var fault: FaultInjection?
    public var mirror: String?
    /// Validation findings that concern this route (subset not defined, weights not 100, …).
    public var findings: [Finding]

    public init(
        virtualService: String, namespace: String, hosts: [String], index: Int,
        name: String? = nil, matches: [String] = [], destinations: [WeightedDestination] = [],
        timeout: String? = nil, retries: RetryPolicy? = nil, fault: FaultInjection? = nil,
        mirror: String? = nil, findings: [Finding] = []
    ) {
        self.virtualService = virtualService
        self.namespace = namespace
        self.hosts = hosts
        self.index = index
        self.name = name
        self.matches = matches
        self.destinations = destinations
        self.timeout = timeout
        self.retries = retries
        self.fault = fault
        self.mirror = mirror
        self.findings = findings
    }
}

/// A route destination with its configured weight and the share of traffic observed going there.
public struct WeightedDestination: Sendable, Codable, Hashable {
    public var host: String
    public var subset: String?
    public var port: Int?
    /// Configured weight in percent; nil when the route has a single destination.
    public var weight: Int?
    /// Observed share of traffic, 0...1, when metrics are available.
    public var observedShare: Double?

    public init(host: String, subset: String? = nil, port: Int? = nil, weight: Int? = nil, observedShare: Double? = nil) {
        self.host = host
        self.subset = subset
        self.port = port
        self.weight = weight
        self.observedShare = observedShare
    }
}

public struct RetryPolicy: Sendable, Codable, Hashable {
    public var attempts: Int
    public var perTryTimeout: String?
    public var retryOn: String?

    public init(attempts: Int, perTryTimeout: String? = nil, retryOn: String? = nil) {
        self.attempts = attempts
        self.perTryTimeout = perTryTimeout
        self.retryOn = retryOn
    }
}

public struct FaultInjection: Sendable, Codable, Hashable {
    /// Percentage of requests delayed, and by how much (`5s`).
    public var delayPercent: Double?
    public var fixedDelay: String?
    /// Percentage of requests aborted, and with which HTTP status.
    public var abortPercent: Double?
    public var abortStatus: Int?

    public init(delayPercent: Double? = nil, fixedDelay: String? = nil, abortPercent: Double? = nil, abortStatus: Int? = nil) {
        self.delayPercent = delayPercent
        self.fixedDelay = fixedDelay
        self.abortPercent = abortPercent
        self.abortStatus = abortStatus
    }
}

/// A DestinationRule subset: a named set of workload labels, e.g. `v2 → {version: v2}`.
public struct Subset: Sendable, Codable, Hashable {
    public var name: String
    public var labels: [String: String]

    public init(name: String, labels: [String: String]) {
        self.name = name
        self.labels = labels
    }
}

/// A DestinationRule as the Routes view needs it.
public struct DestinationPolicy: Sendable, Codable, Hashable, Identifiable {
    public var id: String { "\(namespace)/\(name)" }
    public var name: String
    public var namespace: String
    public var host: String
    public var subsets: [Subset]
    public var loadBalancer: String?
    public var tlsMode: String?

    public init(name: String, namespace: String, host: String, subsets: [Subset] = [], loadBalancer: String? = nil, tlsMode: String? = nil) {
        self.name = name
        self.namespace = namespace
        self.host = host
        self.subsets = subsets
        self.loadBalancer = loadBalancer
        self.tlsMode = tlsMode
    }
}
