import Foundation

/// Writes `JSONValue` trees as bytes: compact (istiod) or pretty with two-space indentation
/// (Envoy's admin handlers pretty-print). Hand-written because `/config_dump` of a large mesh is
/// a hot path of the simulator.
public struct JSONWriter {
    public var pretty: Bool
    private var bytes: [UInt8] = []

    public init(pretty: Bool) {
        self.pretty = pretty
        bytes.reserveCapacity(16 * 1024)
    }

    public static func write(_ value: JSONValue, pretty: Bool) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty)
        writer.append(value, depth: 0)
        if pretty { writer.bytes.append(0x0A) }
        return writer.bytes
    }

    public static func string(_ value: JSONValue, pretty: Bool = false) -> String {
        String(decoding: write(value, pretty: pretty), as: UTF8.self)
    }

    private mutating func newline(_ depth: Int) {
        guard pretty else { return }
        bytes.append(0x0A)
        for _ in 0..<(depth * 2) { bytes.append(0x20) }
    }

    /// Serializes a subtree as it would appear at `depth` (for memoisation).
    static func fragment(_ value: JSONValue, pretty: Bool, depth: Int) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty)
        writer.append(value, depth: depth)
        return writer.bytes
    }

    mutating func append(_ value: JSONValue, depth: Int) {
        switch value {
        case let .object(pairs):
            if pairs.isEmpty { bytes += [0x7B, 0x7D]; return }
            bytes.append(0x7B)
            for (index, (key, item)) in pairs.enumerated() {
                if index > 0 { bytes.append(0x2C) }
                newline(depth + 1)
                appendString(key)
                bytes.append(0x3A)
                if pretty { bytes.append(0x20) }
                append(item, depth: depth + 1)
            }
            newline(depth)
            bytes.append(0x7D)
        case let .array(items):
            if items.isEmpty { bytes += [0x5B, 0x5D]; return }
            bytes.append(0x5B)
            for (index, item) in items.enumerated() {
                if index > 0 { bytes.append(0x2C) }
                newline(depth + 1)
                append(item, depth: depth + 1)
            }
            newline(depth)
            bytes.append(0x5D)
        case let .string(text): appendString(text)
        case let .int(number): bytes += Array(String(number).utf8)
        case let .double(number): bytes += Array(Self.format(number).utf8)
        case let .bool(flag): bytes += Array((flag ? "true" : "false").utf8)
        case .null: bytes += Array("null".utf8)
        case let .cached(shared): bytes += shared.bytes(pretty: pretty, depth: depth)
        }
    }

    /// Shortest round-trip text for finite doubles; integers keep no fraction, as Go and
    /// protobuf print them. Non-finite values have no JSON form and become null.
    static func format(_ number: Double) -> String {
        guard number.isFinite else { return "null" }
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return "\(number)"
    }

    private mutating func appendString(_ text: String) {
        bytes.append(0x22)
        for byte in text.utf8 {
            switch byte {
            case 0x22: bytes += [0x5C, 0x22]
            case 0x5C: bytes += [0x5C, 0x5C]
            case 0x0A: bytes += [0x5C, 0x6E]
            case 0x0D: bytes += [0x5C, 0x72]
            case 0x09: bytes += [0x5C, 0x74]
            case 0..<0x20:
                bytes += Array(String(format: "\\u%04x", byte).utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(0x22)
    }
}
