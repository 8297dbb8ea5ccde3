import Foundation

/// A JSON reader over bytes that can skip whole subtrees without building them, so decoding a
/// 50 MB config dump costs little more than reading it. Errors carry the line number.
public struct JSONScanner {
    let buffer: UnsafeBufferPointer<UInt8>
    var index = 0

    public struct Failure: Error, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    init(_ buffer: UnsafeBufferPointer<UInt8>) { self.buffer = buffer }

    func fail(_ reason: String) -> Failure {
        var line = 1
        for position in 0..<min(index, buffer.count) where buffer[position] == 0x0A { line += 1 }
        return Failure(line: line, reason: reason)
    }

    @inline(__always) mutating func skipWhitespace() {
        while index < buffer.count {
            let byte = buffer[index]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            index += 1
        }
    }

    @inline(__always) mutating func peek() throws -> UInt8 {
        skipWhitespace()
        guard index < buffer.count else { throw fail("unexpected end of input (truncated?)") }
        return buffer[index]
    }

    mutating func expect(_ byte: UInt8) throws {
        guard try peek() == byte else { throw fail("expected '\(Character(UnicodeScalar(byte)))'") }
        index += 1
    }

    /// Iterates an object's members: `body` gets each key and must consume (read or skip) its value.
    mutating func object(_ body: (inout JSONScanner, String) throws -> Void) throws {
        try expect(0x7B)
        if try peek() == 0x7D { index += 1; return }
        while true {
            let key = try string()
            try expect(0x3A)
            try body(&self, key)
            switch try peek() {
            case 0x2C: index += 1
            case 0x7D: index += 1; return
            default: throw fail("expected ',' or '}' in object")
            }
        }
    }

    /// Iterates an array's elements; `body` must consume each one.
    mutating func array(_ body: (inout JSONScanner) throws -> Void) throws {
        try expect(0x5B)
        if try peek() == 0x5D { index += 1; return }
        while true {
            try body(&self)
            switch try peek() {
            case 0x2C: index += 1
            case 0x5D: index += 1; return
            default: throw fail("expected ',' or ']' in array")
            }
        }
    }

    public mutating func string() throws -> String {
        try expect(0x22)
        let start = index
        var escaped = false
        while index < buffer.count {
            let byte = buffer[index]
            if byte == 0x22 {
                let end = index
                index += 1
                if !escaped { return String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self) }
                return try unescape(start, end)
            }
            if byte == 0x5C { escaped = true; index += 2; continue }
            index += 1
        }
        throw fail("unterminated string")
    }

    private func unescape(_ start: Int, _ end: Int) throws -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(end - start)
        var position = start
        while position < end {
            let byte = buffer[position]
            guard byte == 0x5C, position + 1 < end else { bytes.append(byte); position += 1; continue }
            let code = buffer[position + 1]
            position += 2
            switch code {
            case 0x6E: bytes.append(0x0A)
            case 0x74: bytes.append(0x09)
            case 0x72: bytes.append(0x0D)
            case 0x62: bytes.append(0x08)
            case 0x66: bytes.append(0x0C)
            case 0x75:
                guard position + 4 <= end, var scalar = UInt32(String(decoding: UnsafeBufferPointer(rebasing: buffer[position..<position + 4]), as: UTF8.self), radix: 16) else {
                    throw fail("bad \\u escape")
                }
                position += 4
                if (0xD800..<0xDC00).contains(scalar), position + 6 <= end, buffer[position] == 0x5C, buffer[position + 1] == 0x75,
                   let low = UInt32(String(decoding: UnsafeBufferPointer(rebasing: buffer[position + 2..<position + 6]), as: UTF8.self), radix: 16) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    position += 6
                }
                bytes += Array(String(UnicodeScalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
            default: bytes.append(code)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A number, also accepting proto3's int64-as-string (`"3649"`).
    public mutating func number() throws -> Double {
        if try peek() == 0x22 {
            let text = try string()
            guard let value = Double(text) else { throw fail("expected a number, got \"\(text)\"") }
            return value
        }
        let start = index
        while index < buffer.count, Self.isNumberByte(buffer[index]) { index += 1 }
        guard index > start, let value = Double(String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<index]), as: UTF8.self)) else {
            throw fail("expected a number")
        }
        return value
    }

    public mutating func bool() throws -> Bool {
        if try literal("true") { return true }
        if try literal("false") { return false }
        throw fail("expected true or false")
    }

    /// Consumes `null` when present.
    public mutating func null() throws -> Bool { try literal("null") }

    private mutating func literal(_ word: StaticString) throws -> Bool {
        skipWhitespace()
        let length = word.utf8CodeUnitCount
        guard index + length <= buffer.count else { return false }
        for offset in 0..<length where buffer[index + offset] != word.utf8Start[offset] { return false }
        index += length
        return true
    }

    @inline(__always) static func isNumberByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x2B || byte == 0x2E || byte == 0x65 || byte == 0x45
    }

    /// Skips any value without building it: strings are jumped over, nesting is counted.
    public mutating func skip() throws {
        let first = try peek()
        switch first {
        case 0x22:
            index += 1
            while index < buffer.count {
                let byte = buffer[index]
                if byte == 0x22 { index += 1; return }
                index += byte == 0x5C ? 2 : 1
            }
            throw fail("unterminated string")
        case 0x7B, 0x5B:
            var depth = 0
            while index < buffer.count {
                let byte = buffer[index]
                switch byte {
                case 0x22:
                    index += 1
                    while index < buffer.count, buffer[index] != 0x22 { index += buffer[index] == 0x5C ? 2 : 1 }
                case 0x7B, 0x5B: depth += 1
                case 0x7D, 0x5D:
                    depth -= 1
                    if depth == 0 { index += 1; return }
                default: break
                }
                index += 1
            }
            throw fail("unterminated \(first == 0x7B ? "object" : "array") (truncated?)")
        case 0x74, 0x66:
            _ = try bool()
        case 0x6E:
            guard try null() else { throw fail("unexpected token") }
        default:
            _ = try number()
        }
    }

    /// Checks that only whitespace follows the top-level value.
    mutating func end() throws {
        skipWhitespace()
        guard index == buffer.count else { throw fail("unexpected data after the JSON value") }
    }
}
