/// A parsed JSON value for the (smaller) documents where a tree is convenient: syncz, registryz,
/// configz, /certs, /clusters, /server_info. Lookups accept snake_case and lowerCamelCase alike,
/// because Envoy prints one and Go's protojson / istioctl the other.
public indirect enum JSON: Sendable, Hashable {
    case object([String: JSON])
    case array([JSON])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    public static func parse(_ bytes: [UInt8]) throws -> JSON {
        try bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            let value = try scanner.value()
            try scanner.end()
            return value
        }
    }

    /// Member `key`, trying the snake_case and lowerCamelCase spellings.
    public subscript(key: String) -> JSON? {
        guard case let .object(members) = self else { return nil }
        if let hit = members[key] { return hit }
        return members[key.contains("_") ? Self.camel(key) : Self.snake(key)]
    }

    public var array: [JSON] {
        if case let .array(items) = self { return items }
        return []
    }

    public var string: String? {
        if case let .string(text) = self { return text }
        return nil
    }

    /// Numbers, and int64/uint64 written as strings (proto3 JSON).
    public var number: Double? {
        switch self {
        case let .number(value): value
        case let .string(text): Double(text)
        default: nil
        }
    }

    public var int: Int? { number.flatMap { $0.isFinite ? Int(exactly: $0.rounded()) : nil } }

    public var bool: Bool? {
        if case let .bool(flag) = self { return flag }
        return nil
    }

    public var members: [String: JSON] {
        if case let .object(members) = self { return members }
        return [:]
    }

    static func camel(_ key: String) -> String {
        var out = ""
        var upper = false
        for character in key {
            if character == "_" { upper = true; continue }
            out.append(upper ? Character(character.uppercased()) : character)
            upper = false
        }
        return out
    }

    static func snake(_ key: String) -> String {
        var out = ""
        for character in key {
            if character.isUppercase { out.append("_"); out.append(contentsOf: character.lowercased()) } else { out.append(character) }
        }
        return out
    }
}

extension JSONScanner {
    mutating func value() throws -> JSON {
        switch try peek() {
        case 0x7B:
            var members: [String: JSON] = [:]
            try object { scanner, key in members[key] = try scanner.value() }
            return .object(members)
        case 0x5B:
            var items: [JSON] = []
            try array { scanner in items.append(try scanner.value()) }
            return .array(items)
        case 0x22: return .string(try string())
        case 0x74, 0x66: return .bool(try bool())
        case 0x6E:
            guard try null() else { throw fail("unexpected token") }
            return .null
        default: return .number(try number())
        }
    }
}
