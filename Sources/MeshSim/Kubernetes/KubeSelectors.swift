import Foundation

/// `labelSelector` and `fieldSelector` as the API server reads them: comma-separated
/// requirements, all of which must hold.
struct KubeSelector: Sendable {
    enum Requirement: Sendable {
        case equals(String, String)
        case notEquals(String, String)
        case exists(String)
        case notExists(String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
    }

    var requirements: [Requirement] = []

    /// The keys (labels or fields) the requirements name.
    var keys: [String] {
        requirements.map { requirement in
            switch requirement {
            case let .equals(key, _), let .notEquals(key, _), let .exists(key), let .notExists(key), let .isIn(key, _), let .notIn(key, _): key
            }
        }
    }

    struct Invalid: Error {
        var text: String
    }

    /// Parses a label selector (`app=reviews,version in (v1,v2),!canary`) or, with
    /// `fields: true`, a field selector (`=`, `==`, `!=` only).
    init(_ text: String, fields: Bool = false) throws(Invalid) {
        for part in Self.split(text) where !part.isEmpty {
            let term = part.trimmingCharacters(in: .whitespaces)
            if let range = term.range(of: "!=") {
                requirements.append(.notEquals(Self.key(term[..<range.lowerBound]), Self.key(term[range.upperBound...])))
            } else if let range = term.range(of: "==") ?? term.range(of: "=") {
                requirements.append(.equals(Self.key(term[..<range.lowerBound]), Self.key(term[range.upperBound...])))
            } else if fields {
                throw Invalid(text: "invalid selector: '\(text)'; can't understand '\(term)'")
            } else if let range = term.range(of: " notin ") ?? term.range(of: " in ") {
                let values = term[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard values.hasPrefix("("), values.hasSuffix(")") else { throw Invalid(text: "unable to parse requirement: '\(term)'") }
                let set = Set(values.dropFirst().dropLast().split(separator: ",").map { Self.key($0) })
                let key = Self.key(term[..<range.lowerBound])
                requirements.append(term[range].contains("notin") ? .notIn(key, set) : .isIn(key, set))
            } else if term.hasPrefix("!") {
                requirements.append(.notExists(Self.key(term.dropFirst())))
            } else if term.allSatisfy({ $0.isLetter || $0.isNumber || "-_./".contains($0) }) {
                requirements.append(.exists(term))
            } else {
                throw Invalid(text: "unable to parse requirement: '\(term)'")
            }
        }
    }

    /// Whether an object whose values are looked up by `value` matches.
    func matches(_ value: (String) -> String?) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case let .equals(key, expected): value(key) == expected
            case let .notEquals(key, unexpected): value(key) != unexpected
            case let .exists(key): value(key) != nil
            case let .notExists(key): value(key) == nil
            case let .isIn(key, set): value(key).map(set.contains) ?? false
            case let .notIn(key, set): !(value(key).map(set.contains) ?? false)
            }
        }
    }

    func matchesLabels(of object: JSONValue) -> Bool {
        matches { object["metadata"]?["labels"]?[$0]?.stringValue }
    }

    /// Field selectors over the fields the API server indexes for pods and the rest.
    func matchesFields(of object: JSONValue) -> Bool {
        matches { field in
            switch field {
            case "metadata.name": object["metadata"]?["name"]?.stringValue
            case "metadata.namespace": object["metadata"]?["namespace"]?.stringValue
            case "status.phase": object["status"]?["phase"]?.stringValue
            case "spec.nodeName": object["spec"]?["nodeName"]?.stringValue
            case "status.podIP": object["status"]?["podIP"]?.stringValue
            default: nil
            }
        }
    }

    /// Splits on commas outside parentheses.
    static func split(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            switch character {
            case "(": depth += 1; current.append(character)
            case ")": depth -= 1; current.append(character)
            case "," where depth == 0: parts.append(current); current = ""
            default: current.append(character)
            }
        }
        parts.append(current)
        return parts
    }

    static func key(_ text: Substring) -> String { text.trimmingCharacters(in: .whitespaces) }
}

/// The field selectors the simulated server supports per resource, as a real one rejects others.
enum KubeFieldSelectors {
    static func supported(_ field: String, resource: String) -> Bool {
        if field == "metadata.name" || field == "metadata.namespace" { return true }
        return resource == "pods" && ["status.phase", "spec.nodeName", "status.podIP"].contains(field)
    }
}
