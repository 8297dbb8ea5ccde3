import Foundation

/// The structure of a JSON document: every path (array indices collapsed to `[]`, map-like
/// objects' keys collapsed to `*`) with the JSON types seen there, plus every `@type` URL.
struct JSONShape {
    private(set) var paths: [String: Set<String>] = [:]
    private(set) var typeURLs: Set<String> = []

    /// Keys whose children are data (labels, maps keyed by cluster or type URL), not schema.
    static let mapKeys: Set<String> = [
        "Labels", "LabelSelectors", "labels", "annotations", "filter_metadata", "resources", "Addresses",
        "Shards", "ServiceAccounts", "matchLabels", "selector", "istio", "LABELS", "match",
    ]

    init(_ documents: [Any], snakeCase: Bool = false) {
        for document in documents { walk(document, path: "$", snakeCase: snakeCase, isMap: false) }
    }

    private mutating func walk(_ value: Any, path: String, snakeCase: Bool, isMap: Bool) {
        paths[path, default: []].insert(Self.typeName(value))
        if let object = value as? [String: Any] {
            for (key, item) in object {
                if key == "@type", let url = item as? String { typeURLs.insert(url) }
                let name = isMap ? "*" : (snakeCase && key != "@type" ? Self.snake(key) : key)
                walk(item, path: path + "." + name, snakeCase: snakeCase, isMap: Self.mapKeys.contains(key))
            }
        } else if let array = value as? [Any] {
            for item in array { walk(item, path: path + "[]", snakeCase: snakeCase, isMap: false) }
        }
    }

    static func typeName(_ value: Any) -> String {
        switch value {
        case is NSNull: "null"
        case let number as NSNumber: String(describing: type(of: number)).contains("Boolean") ? "bool" : "number"
        case is String: "string"
        case is [Any]: "array"
        case is [String: Any]: "object"
        default: "unknown"
        }
    }

    /// lowerCamelCase → snake_case, to compare istioctl's re-marshalled fixtures with Envoy's own.
    static func snake(_ key: String) -> String {
        var out = ""
        for character in key {
            if character.isUppercase, !out.isEmpty { out.append("_") }
            out.append(contentsOf: character.lowercased())
        }
        return out
    }

    /// Paths of `self` that `reference` does not have (or has with other types), ignoring paths
    /// that start with one of `documented` (fields mesh-apis.md documents for newer releases).
    func inventedPaths(comparedTo reference: JSONShape, documented: [String]) -> [String] {
        paths.keys.sorted().filter { path in
            if documented.contains(where: { path == $0 || path.hasPrefix($0 + ".") || path.hasPrefix($0 + "[") }) { return false }
            guard let types = reference.paths[path] else { return true }
            // An empty list in the reference fixes no element type; null stands for an absent map.
            return !paths[path]!.isSubset(of: types.union(["null"]))
        }
    }
}
