import Foundation
import MeshModel
import Yams

/// A proxy admin API to poll, with its labels (from a targets file or discovery).
public struct ScrapeTarget: Sendable, Hashable {
    public var url: String
    public var labels: [String: String]
    /// The admin API it is read through, from the `kind` label (none: Envoy), and for an Envoy
    /// the mesh its `flavour` label names (istio, envoy, kuma, consul, envoy-gateway; none: what
    /// the proxy shows). A label no kind or flavour has is refused when the targets file is read.
    public let kind: MeshKind

    /// How the admin API is reached when not at `url` (a port-forward into the pod); then
    /// `url` is only the target's name in statuses and the poller's key.
    public var route: MeshEndpoint?
    /// Where the stats are read when not from the admin API (a pod-IP port, :15090, through
    /// the API server's pod proxy: no port-forward needed for the busiest path).
    public var statsRoute: MeshEndpoint?

    public init(url: String, labels: [String: String], route: MeshEndpoint? = nil, statsRoute: MeshEndpoint? = nil) {
        self.url = url
        self.labels = labels
        self.route = route
        self.statsRoute = statsRoute
        let kind = MeshKind(targetLabel: labels["kind"]) ?? .istioEnvoy
        self.kind = kind == .istioEnvoy ? labels["flavour"].flatMap(MeshKind.init(envoyFlavour:)) ?? kind : kind
    }

    /// A target reached through routes only, named after its admin route.
    public init(route: MeshEndpoint, statsRoute: MeshEndpoint? = nil, labels: [String: String]) {
        self.init(url: route.description, labels: labels, route: route, statsRoute: statsRoute)
    }

    /// `proxy` label, or the URL when the file gives none.
    public var proxyID: String { labels["proxy"] ?? url }
    public var endpoint: MeshEndpoint { route ?? .url(url) }
    /// Only pilot-agent's merged metrics (:15020) can be read, not Envoy's admin API: the pod
    /// metrics tier (`access: pod-metrics`), without port-forwards.
    public var agentOnly: Bool { labels["access"] == "pod-metrics" }
    public var statsEndpoint: MeshEndpoint { statsRoute ?? endpoint }
    /// The pod and namespace the proxy runs in: labels first, else its `<pod>.<namespace>` id.
    public var pod: String { labels["pod"] ?? String(proxyID.split(separator: ".", maxSplits: 1).first ?? Substring(proxyID)) }
    public var namespace: String {
        labels["namespace"] ?? proxyID.split(separator: ".", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
    }
}

/// Reads the targets file `meshtop sim --targets-file` writes: a YAML list of `{url, labels}`.
public enum TargetsFileReader {
    /// A `kind:` or `flavour:` label no mesh kind has: a mistake in the user's file, not a source failure.
    public struct UnknownKind: Error, CustomStringConvertible {
        public var file: String, kind: String, url: String
        public var label = "kind"
        public var description: String {
            let known = label == "kind" ? MeshKind.targetLabels : MeshKind.envoyFlavours
            return "targets file \(file): \(label) \(kind) of \(url) is not \(known.joined(separator: ", "))"
        }
    }

    /// Throws `SourceError` for a file that cannot be read or is not a targets file, and
    /// `UnknownKind` for a kind meshtop does not know.
    public static func read(path: String) throws -> [ScrapeTarget] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SourceError(source: "targets file \(path)", reason: .unreadable("cannot read the file"))
        }
        return try parse(text, name: path)
    }

    public static func parse(_ text: String, name: String) throws -> [ScrapeTarget] {
        let document: Any?
        do { document = try Yams.load(yaml: text) } catch {
            throw SourceError(source: "targets file \(name)", reason: .unexpectedAnswer("not YAML: \(error)"))
        }
        guard let list = document as? [Any] else {
            throw SourceError(source: "targets file \(name)", reason: .unexpectedAnswer("expected a YAML list of {url, labels}"))
        }
        var targets: [ScrapeTarget] = []
        for (index, item) in list.enumerated() {
            guard let entry = item as? [String: Any], let url = entry["url"] as? String, URL(string: url)?.scheme != nil else {
                throw SourceError(source: "targets file \(name)", reason: .unexpectedAnswer("entry \(index + 1) has no valid url"))
            }
            var labels: [String: String] = [:]
            for (key, value) in entry["labels"] as? [String: Any] ?? [:] { labels[key] = "\(value)" }
            if let kind = labels["kind"], MeshKind(targetLabel: kind) == nil {
                throw UnknownKind(file: name, kind: kind, url: url)
            }
            if let flavour = labels["flavour"], MeshKind(envoyFlavour: flavour) == nil {
                throw UnknownKind(file: name, kind: flavour, url: url, label: "flavour")
            }
            targets.append(ScrapeTarget(url: url.hasSuffix("/") ? String(url.dropLast()) : url, labels: labels))
        }
        return targets
    }
}
