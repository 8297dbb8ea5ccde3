/// Which mesh a row belongs to and which API its numbers came from, so that one snapshot can mix
/// meshes (product.md §3) and every row says where it stands. Also the kind of a proxy target
/// (a targets file's `kind:` label), which decides the admin API it is read through.
///
/// The one place that spells the kinds: the raw value is the compact table label, `mesh` and
/// `dataSource` the export's two fields, `targetLabel` the targets file's word.
public enum MeshKind: String, Sendable, Hashable, CaseIterable {
    /// Istio, read from each Envoy's admin API (`kind: envoy`).
    case istioEnvoy = "istio/envoy"
    /// Istio traffic from Prometheus's query API (`kind: prometheus`, `--prometheus`).
    case istioPrometheus = "istio/prom"
    /// Known to istiod, with no traffic source of its own.
    case istiod = "istio"
    /// A Linkerd proxy's admin API (`kind: linkerd`, `:4191`).
    case linkerd
    /// A SOFAMosn admin API (`kind: mosn`, `:34901`).
    case mosn
    /// An Envoy without Istio (no `ISTIO_VERSION`, no `istio_requests_total`): RED from Envoy's
    /// own cluster and HTTP stats (mesh-apis.md §11). The flavours name their clusters their way.
    case envoy = "envoy"
    /// Kuma's data plane (`kuma.io/service` or `kri_…` cluster names).
    case kuma = "kuma/envoy"
    /// Consul's Envoy (`svc.ns.dc.internal.td.consul` cluster names).
    case consul = "consul/envoy"
    /// Envoy Gateway (`httproute/NS/NAME/rule/N` clusters).
    case envoyGateway = "eg/envoy"
    /// An ambient node's ztunnel (`kind: ztunnel`): its config dump (workloads, identity
    /// certificates) and L4 metrics.
    case ztunnel = "istio/ztunnel"

    /// The mesh, as exports name it: `istio`, `linkerd` or `mosn`.
    public var mesh: String {
        switch self {
        case .istioEnvoy, .istioPrometheus, .istiod, .ztunnel: "istio"
        case .linkerd: "linkerd"
        case .mosn: "mosn"
        case .envoy: "envoy"
        case .kuma: "kuma"
        case .consul: "consul"
        case .envoyGateway: "envoy-gateway"
        }
    }

    /// The source of the numbers, as exports name it.
    public var dataSource: String {
        switch self {
        case .istioEnvoy, .envoy, .kuma, .consul, .envoyGateway: "envoy"
        case .istioPrometheus: "prometheus"
        case .istiod: "istiod"
        case .ztunnel: "ztunnel"
        case .linkerd: "linkerd-proxy"
        case .mosn: "mosn-admin"
        }
    }

    /// The compact form for tables (≤ 12 columns).
    public var label: String { rawValue }

    /// An Envoy read through its admin API, whichever mesh it serves.
    public var isEnvoy: Bool { [.istioEnvoy, .envoy, .kuma, .consul, .envoyGateway].contains(self) }

    /// The kind of an Envoy of `flavour` (a targets file's `flavour:` label, or what its cluster
    /// names show): nil for a word no flavour has.
    public init?(envoyFlavour flavour: String) {
        switch flavour {
        case "istio": self = .istioEnvoy
        case "envoy", "plain": self = .envoy
        case "kuma": self = .kuma
        case "consul": self = .consul
        case "envoy-gateway", "eg": self = .envoyGateway
        default: return nil
        }
    }

    /// The words a targets file's `flavour:` label may use.
    public static let envoyFlavours = ["istio", "envoy", "kuma", "consul", "envoy-gateway"]

    /// The word a targets file's `kind:` label uses; nil for what no target is (istiod).
    public var targetLabel: String? {
        switch self {
        case .istioEnvoy: "envoy"
        case .istioPrometheus: "prometheus"
        case .istiod, .envoy, .kuma, .consul, .envoyGateway: nil
        case .linkerd: "linkerd"
        case .mosn: "mosn"
        case .ztunnel: "ztunnel"
        }
    }

    /// The kind a targets file's `kind:` label names (no label: Envoy).
    public init?(targetLabel: String?) {
        guard let kind = Self.allCases.first(where: { $0.targetLabel == (targetLabel ?? "envoy") }) else { return nil }
        self = kind
    }

    /// The words a targets file may use, for error messages.
    public static var targetLabels: [String] { allCases.compactMap(\.targetLabel) }

    /// The operator actions this kind's admin API has (product.md §5): Linkerd and MOSN set a log
    /// level but cannot drain or reset counters. The requests themselves are written next to each
    /// admin client (MeshSources); a test holds the two together.
    public func supports(_ action: OperatorAction.Kind) -> Bool {
        switch (self, action) {
        case (.istioEnvoy, _), (.envoy, _), (.kuma, _), (.consul, _), (.envoyGateway, _), (.linkerd, .setLogLevel), (.mosn, .setLogLevel): true
        case (.linkerd, _), (.mosn, _), (.istioPrometheus, _), (.istiod, _), (.ztunnel, _): false
        }
    }
}

extension MeshKind: Codable {
    /// Stored and exported as `{mesh, source}`, the shape history files have always had.
    private enum CodingKeys: String, CodingKey { case mesh, source }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let mesh = try container.decode(String.self, forKey: .mesh), source = try container.decode(String.self, forKey: .source)
        guard let kind = Self.allCases.first(where: { $0.mesh == mesh && $0.dataSource == source }) else {
            throw DecodingError.dataCorruptedError(forKey: .source, in: container, debugDescription: "unknown mesh \(mesh)/\(source)")
        }
        self = kind
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mesh, forKey: .mesh)
        try container.encode(dataSource, forKey: .source)
    }
}
