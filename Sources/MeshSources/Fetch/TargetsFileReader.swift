import Foundation
import Yams

/// A proxy admin API to poll, with its labels (from a targets file or discovery).
public struct ScrapeTarget: Sendable, Hashable {
    public var url: String
    public var labels: [String: String]

    public init(url: String, labels: [String: String]) {
        self.url = url
        self.labels = labels
    }

    /// `proxy` label, or the URL when the file gives none.
    public var proxyID: String { labels["proxy"] ?? url }
    /// `envoy` (default), `linkerd`, `mosn`.
    public var kind: String { labels["kind"] ?? "envoy" }
}

/// Reads the targets file `meshtop sim --targets-file` writes: a YAML list of `{url, labels}`.
public enum TargetsFileReader {
    public static func read(path: String) throws -> [ScrapeTarget] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SourceError(source: "targets file \(path)", reason: "cannot read the file")
        }
        return try parse(text, name: path)
    }

    public static func parse(_ text: String, name: String) throws -> [ScrapeTarget] {
        let document: Any?
        do { document = try Yams.load(yaml: text) } catch {
            throw SourceError(source: "targets file \(name)", reason: "not YAML: \(error)")
        }
        guard let list = document as? [Any] else {
            throw SourceError(source: "targets file \(name)", reason: "expected a YAML list of {url, labels}")
        }
        return try list.enumerated().map { index, item in
            guard let entry = item as? [String: Any], let url = entry["url"] as? String, URL(string: url)?.scheme != nil else {
                throw SourceError(source: "targets file \(name)", reason: "entry \(index + 1) has no valid url")
            }
            var labels: [String: String] = [:]
            for (key, value) in entry["labels"] as? [String: Any] ?? [:] { labels[key] = "\(value)" }
            return ScrapeTarget(url: url, labels: labels)
        }
    }
}

/// A failure that names its source: "istiod http://10.0.0.5:15014/debug/syncz: HTTP 401 — …".
public struct SourceError: Error, CustomStringConvertible, Equatable, Sendable {
    public var source: String
    public var reason: String

    public init(source: String, reason: String) {
        self.source = source
        self.reason = reason
    }

    public var description: String { "\(source): \(reason)" }
}
