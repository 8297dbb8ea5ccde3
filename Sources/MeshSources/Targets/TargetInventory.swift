import MeshModel

/// What a poll reaches besides static URLs and targets files: a source of istiods and proxies
/// that changes while meshtop runs (a cluster's pods, followed through its API).
public protocol TargetInventory: Sendable {
    func snapshot() async -> InventorySnapshot
}

public struct InventorySnapshot: Sendable {
    /// istiod replicas, each reached its own way (a port-forward to its pod's :15014).
    public var istiods: [MeshEndpoint] = []
    public var targets: [ScrapeTarget] = []
    /// The inventory's own health (the Kubernetes API) for the status line.
    public var sources: [SourceStatus] = []
    public var access: [ClusterAccess] = []
    /// Istio config objects read from the cluster's API, for when no istiod's configz is read.
    public var configs: [ConfigObject] = []

    public init(istiods: [MeshEndpoint] = [], targets: [ScrapeTarget] = [], sources: [SourceStatus] = [], access: [ClusterAccess] = []) {
        self.istiods = istiods
        self.targets = targets
        self.sources = sources
        self.access = access
    }
}
