import Crypto
import Foundation
import MeshModel
import Synchronization
import Yams

/// Canonical text of configuration objects for the history store: YAML with sorted keys and
/// volatile fields (resource versions, push timestamps) left out, so equal content gives equal
/// text and hash, and revisions diff line by line the way `kubectl get -o yaml` reads.
public enum ConfigText {
    /// An Istio object from configz as a document (`kind`/`metadata`/`spec`).
    public static func document(_ object: ConfigObject) -> ConfigDocument {
        let tree = JSON.object([
            "apiVersion": .string(object.apiVersion),
            "kind": .string(object.kind),
            "metadata": .object(["name": .string(object.name), "namespace": .string(object.namespace)]),
            "spec": object.spec,
        ])
        return make(kind: object.kind, namespace: object.namespace, name: object.name, text: yaml(tree))
    }

    /// A proxy's route configurations from `/config_dump?resource=dynamic_route_configs`
    /// (each `route_config`, without `version_info` and `last_updated`), sorted by name.
    public static func proxyRoutes(_ bodies: [[UInt8]], namespace: String, pod: String) throws -> ConfigDocument {
        var configs: [JSON] = []
        // `?resource=` with nothing to show answers `{}`: no configs.
        for body in bodies { configs += try JSON.parse(body)["configs"]?.array ?? [] }
        let routes = configs.compactMap { $0["route_config"] }
            .sorted { ($0["name"]?.string ?? "") < ($1["name"]?.string ?? "") }
        return make(kind: ConfigDocument.proxyRoutes, namespace: namespace, name: pod, text: yaml(.array(routes)))
    }

    /// A proxy's clusters as one line each (`name type`), sorted.
    /// Sidecars under the same Sidecar scope (or none) list the same clusters, so most of a
    /// mesh's cluster sets are equal: equal texts share one string instead of one copy per
    /// proxy (the poller keeps every proxy's sets).
    public static func proxyClusters(_ dump: ConfigDump, namespace: String, pod: String) -> ConfigDocument {
        let lines = dump.clusters.map { [$0.name, $0.type].compactMap { $0 }.joined(separator: " ") }.sorted()
        let text = lines.map { $0 + "\n" }.joined()
        let hash = sha256(text)
        let shared = clusterTexts.withLock { cache in
            if let known = cache[hash] { return known }
            if cache.count >= 1024 { cache.removeAll(keepingCapacity: true) }
            cache[hash] = text
            return text
        }
        return ConfigDocument(kind: ConfigDocument.proxyClusters, namespace: namespace, name: pod, hash: hash, text: shared)
    }

    /// Cluster-set texts by hash, for sharing.
    private static let clusterTexts = Mutex<[String: String]>([:])

    public static func make(kind: String, namespace: String, name: String, text: String) -> ConfigDocument {
        ConfigDocument(kind: kind, namespace: namespace, name: name, hash: sha256(text), text: text)
    }

    public static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Canonical YAML of a tree. Most trees recur (the same VirtualService every poll, the same
    /// route tables on every sidecar of a namespace), and hashing a tree is far cheaper than
    /// emitting YAML (measured: emission was a quarter of a 1,000-proxy poll's CPU), so texts are
    /// remembered by a 128-bit hash of the tree (two independently salted hashes; the trees
    /// themselves would cost more memory than the texts) — which also makes equal documents
    /// share one string in memory.
    static func yaml(_ value: JSON) -> String {
        var first = Hasher(), second = Hasher()
        first.combine(value)
        second.combine(0x5EED_CAFE)
        second.combine(value)
        let key = TreeKey(first: first.finalize(), second: second.finalize())
        if let known = yamlCache.withLock({ $0[key] }) { return known }
        // Credentials never reach the store, the console or an export (`SecretRedaction`).
        let text = (try? Yams.serialize(node: node(SecretRedaction.redact(value)), width: -1, sortKeys: true)) ?? ""
        yamlCache.withLock { cache in
            if cache.count >= 8192 { cache.removeAll(keepingCapacity: true) }
            cache[key] = text
        }
        return text
    }

    struct TreeKey: Hashable { var first: Int, second: Int }

    private static let yamlCache = Mutex<[TreeKey: String]>([:])

    static func node(_ value: JSON) -> Node {
        switch value {
        case let .object(members):
            return .mapping(Node.Mapping(members.keys.sorted().map { (Node($0), node(members[$0]!)) }))
        case let .array(items):
            return .sequence(Node.Sequence(items.map(node)))
        case let .string(text):
            return Node(text, Tag(.str), .singleQuoted).plainWhenSafe(text)
        case let .number(number):
            if number.isFinite, number == number.rounded(), abs(number) < 1e15 { return Node(String(Int(number)), Tag(.int)) }
            return Node(String(number), Tag(.float))
        case let .bool(flag):
            return Node(flag ? "true" : "false", Tag(.bool))
        case .null:
            return Node("null", Tag(.null))
        }
    }
}

extension Node {
    /// Plain style for strings YAML would not read as something else (`reviews`, `/api`),
    /// quotes for the rest (`"50"`, `"true"`, empty).
    fileprivate func plainWhenSafe(_ text: String) -> Node {
        let resolved = Resolver.default.resolveTag(of: Node(text))
        guard !text.isEmpty, resolved == .str, !text.contains(where: { $0 == ":" || $0 == "#" || $0 == "\n" }),
              text.first.map({ !"-?[]{},&*!|>'\"%@`".contains($0) && !$0.isWhitespace }) == true,
              text.last.map({ !$0.isWhitespace }) == true else { return self }
        return Node(text, Tag(.str), .plain)
    }
}
