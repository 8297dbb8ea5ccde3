/// An ordered JSON tree. The simulator builds every response from these so that key order
/// matches the real producers and `?mask=` / `?resource=` can be applied before writing.
public indirect enum JSONValue: Sendable, Equatable {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null
    /// An immutable subtree shared between responses, with its serialized bytes memoised.
    case cached(CachedJSON)

    /// The value with any `.cached` wrapper removed (one level).
    public var resolved: JSONValue {
        if case let .cached(shared) = self { return shared.value }
        return self
    }

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs.resolved, rhs.resolved) {
        case let (.object(a), .object(b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.array(a), .array(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.int(a), .int(b)): a == b
        case let (.double(a), .double(b)): a == b
        case let (.bool(a), .bool(b)): a == b
        case (.null, .null): true
        default: false
        }
    }

    /// The value of `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(pairs) = resolved else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    public var arrayValue: [JSONValue]? {
        if case let .array(items) = resolved { return items }
        return nil
    }

    public var stringValue: String? {
        if case let .string(text) = resolved { return text }
        return nil
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(floatLiteral value: Double) { self = .double(value) }
}

/// Builds an object from ordered pairs, dropping pairs whose value is nil (proto3 JSON omits
/// absent and default fields).
public func obj(_ pairs: (String, JSONValue?)...) -> JSONValue {
    .object(pairs.compactMap { key, value in value.map { (key, $0) } })
}
