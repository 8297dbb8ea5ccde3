/// One configuration object as text, identified by kind, namespace and name: an Istio resource
/// from istiod's configz (VirtualService, DestinationRule, …) or a proxy's route or cluster set
/// from its config dump. The text is canonical (sorted keys, volatile fields removed), so equal
/// content has an equal `hash` and any two revisions can be diffed line by line.
public struct ConfigDocument: Sendable, Codable, Hashable, Identifiable {
    /// Kinds of proxy-side documents (Istio kinds keep their own names).
    public static let proxyRoutes = "ProxyRoutes"
    public static let proxyClusters = "ProxyClusters"

    public var id: String { "\(kind)/\(namespace)/\(name)" }
    public var kind: String
    public var namespace: String
    public var name: String
    /// Lowercase hex SHA-256 of `text`.
    public var hash: String
    public var text: String

    public init(kind: String, namespace: String, name: String, hash: String, text: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.hash = hash
        self.text = text
    }
}
