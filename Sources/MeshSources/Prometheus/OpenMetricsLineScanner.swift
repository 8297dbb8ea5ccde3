import Foundation

// MARK: - OpenMetrics 1.0

/// Splits an OpenMetrics input into lines and parses each one.
struct LineScanner {
    let buffer: UnsafeBufferPointer<UInt8>
    /// OpenMetrics conformance: no blank lines, no free comments, `# EOF` required.
    let strict: Bool
    var interner = StringInterner()
    private(set) var lineNumber = 0
    /// Where the current line starts, for the column of an error.
    private(set) var lineStart = 0

    init(buffer: UnsafeBufferPointer<UInt8>, strict: Bool) {
        self.buffer = buffer
        self.strict = strict
    }

    /// An error on the current line, at the byte `index` (column 1 without one).
    func fail(_ reason: String, at index: Int? = nil) -> ExpositionError {
        ExpositionError(line: lineNumber, column: index.map { max(1, $0 - lineStart + 1) } ?? 1, reason: reason)
    }

    mutating func run(_ body: (ExpositionLine, Int) throws -> Void) throws {
        var start = 0
        let count = buffer.count
        var sawEOF = false
        while start < count {
            lineNumber += 1
            lineStart = start
            var end = start
            while end < count, buffer[end] != 0x0A { end += 1 }
            var lineEnd = end
            if !strict, lineEnd > start, buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 } // tolerate CRLF
            if sawEOF { throw fail("text after # EOF") }
            let line = try classify(start, lineEnd)
            if case .eof = line { sawEOF = true }
            try body(line, lineNumber)
            start = end + 1
        }
        if !sawEOF { throw ExpositionError(line: max(1, lineNumber), reason: "missing # EOF at the end (truncated exposition?)") }
    }

    private mutating func classify(_ start: Int, _ end: Int) throws -> ExpositionLine {
        if start == end {
            if strict { throw fail("blank line") }
            return .blank
        }
        if buffer[start] == 0x23 { return try metadata(start, end) } // '#'
        return .sample(try sample(start, end))
    }

    /// `# HELP name text`, `# TYPE name type`, `# UNIT name unit`, `# EOF`, or (not strict) a
    /// free comment.
    private mutating func metadata(_ start: Int, _ end: Int) throws -> ExpositionLine {
        let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
        if text == "# EOF" { return .eof }
        // Python's line.split(' ', 3): exactly "#", keyword, name and the rest.
        let parts = text.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[0] == "#", ["HELP", "TYPE", "UNIT"].contains(parts[1]) else {
            if !strict, parts.count < 2 || !["HELP", "TYPE", "UNIT"].contains(parts[1]) { return .comment }
            throw fail("invalid line '\(text.prefix(80))'")
        }
        guard Self.isMetricName(parts[2]) else { throw fail("invalid metric name '\(parts[2])'") }
        return .metadata(kind: parts[1], name: parts[2], text: parts[3])
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.utf8.first, isNameStart(first) else { return false }
        return name.utf8.allSatisfy(isNameByte)
    }

    @inline(__always) static func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F || byte == 0x3A
    }

    @inline(__always) static func isNameByte(_ byte: UInt8) -> Bool {
        isNameStart(byte) || (byte >= 0x30 && byte <= 0x39)
    }

    @inline(__always) static func isLabelStart(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F
    }

    @inline(__always) static func isLabelByte(_ byte: UInt8) -> Bool {
        isLabelStart(byte) || (byte >= 0x30 && byte <= 0x39)
    }

    @inline(__always) private func isBlank(_ index: Int) -> Bool { buffer[index] == 0x20 || buffer[index] == 0x09 }

    /// `name[{labels}] value [timestamp] [# {exemplar labels} value [timestamp]]`, single spaces.
    private mutating func sample(_ start: Int, _ end: Int) throws -> Sample {
        var index = start
        guard index < end, Self.isNameStart(buffer[index]) else { throw fail("invalid metric name", at: index) }
        while index < end, Self.isNameByte(buffer[index]) { index += 1 }
        let name = interner.string(buffer, start, index)
        var labels: [Label] = []
        if index < end, buffer[index] == 0x7B { labels = try self.labels(&index, end) }
        guard index < end, buffer[index] == 0x20 else {
            throw fail(index < end ? "expected a space after the metric name or labels" : "missing value", at: index)
        }
        index += 1
        let valueStart = index
        while index < end, !isBlank(index) { index += 1 }
        guard index > valueStart else { throw fail("missing value", at: index) }
        let value = try number(valueStart, index, what: "value")
        var timestamp: Double?
        var exemplar: Exemplar?
        if index < end {
            guard buffer[index] == 0x20, index + 1 < end else { throw fail("trailing blank after the value", at: index) }
            index += 1
            if buffer[index] != 0x23 {
                let stampStart = index
                while index < end, buffer[index] != 0x20 { index += 1 }
                timestamp = try self.timestamp(stampStart, index)
                if index < end {
                    guard index + 1 < end, buffer[index + 1] == 0x23 else { throw fail("unexpected text after the timestamp", at: index) }
                    index += 1
                }
            }
            if index < end { exemplar = try self.exemplar(&index, end) }
        }
        return Sample(name: name, labels: labels, value: value, timestamp: timestamp, exemplar: exemplar, line: lineNumber)
    }

    /// `{name="value",…}`; returns with `index` after the closing brace.
    private mutating func labels(_ index: inout Int, _ end: Int) throws -> [Label] {
        var labels: [Label] = []
        labels.reserveCapacity(8)
        // Interned name ids make the duplicate check integer comparisons.
        var nameIDs: [Int] = []
        nameIDs.reserveCapacity(8)
        index += 1 // '{'
        var expectLabel = false
        while true {
            guard index < end else { throw fail("unterminated label set", at: index) }
            if buffer[index] == 0x7D { // '}'
                if expectLabel { throw fail("trailing comma in label set", at: index) }
                index += 1
                return labels
            }
            let nameStart = index
            guard Self.isLabelStart(buffer[index]) else { throw fail("invalid label name", at: index) }
            while index < end, Self.isLabelByte(buffer[index]) { index += 1 }
            let (name, nameID) = interner.intern(buffer, nameStart, index)
            guard index < end, buffer[index] == 0x3D else { throw fail("expected '=' after label \(name)", at: index) }
            index += 1
            guard index < end, buffer[index] == 0x22 else { throw fail("label value of \(name) is not quoted", at: index) }
            index += 1
            let valueStart = index
            var escaped = false
            while index < end, buffer[index] != 0x22 {
                if buffer[index] == 0x5C { escaped = true; index += 1 }
                index += 1
            }
            guard index < end else { throw fail("unterminated label value of \(name)", at: index) }
            let value = escaped ? Self.unescape(buffer, valueStart, index) : interner.string(buffer, valueStart, index)
            index += 1
            if nameID >= 0 ? nameIDs.contains(nameID) : labels.contains(where: { $0.name == name }) {
                throw fail("duplicate label \(name)", at: index)
            }
            nameIDs.append(nameID)
            labels.append(Label(name: name, value: value))
            guard index < end else { throw fail("unterminated label set", at: index) }
            if buffer[index] == 0x2C {
                index += 1
                expectLabel = true
            } else if buffer[index] == 0x7D {
                expectLabel = false
            } else {
                throw fail("expected ',' or '}' after label \(name)", at: index)
            }
        }
    }

    /// Label value escapes: `\\`, `\"`, `\n`; any other backslash pair is kept as written
    /// (Prometheus text refuses those before they get here).
    static func unescape(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(end - start)
        var index = start
        while index < end {
            let byte = buffer[index]
            if byte == 0x5C, index + 1 < end {
                switch buffer[index + 1] {
                case 0x5C: bytes.append(0x5C)
                case 0x22: bytes.append(0x22)
                case 0x6E: bytes.append(0x0A)
                default: bytes += [0x5C, buffer[index + 1]]
                }
                index += 2
            } else {
                bytes.append(byte)
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func number(_ start: Int, _ end: Int, what: String) throws -> Double {
        if let fast = FloatSyntax.fastInteger(buffer, start, end) { return fast }
        let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
        guard let value = FloatSyntax.python(text) else { throw fail("invalid \(what) '\(text)'", at: start) }
        return value
    }

    private func timestamp(_ start: Int, _ end: Int) throws -> Double {
        let value = try number(start, end, what: "timestamp")
        guard value.isFinite else { throw fail("timestamp must be finite", at: start) }
        return value
    }

    /// `# {labels} value [timestamp]` after a sample.
    private mutating func exemplar(_ index: inout Int, _ end: Int) throws -> Exemplar {
        guard end - index >= 3, buffer[index] == 0x23, buffer[index + 1] == 0x20, buffer[index + 2] == 0x7B else {
            throw fail("invalid exemplar", at: index)
        }
        index += 2
        let labels = try self.labels(&index, end)
        let length = labels.reduce(0) { $0 + $1.name.unicodeScalars.count + $1.value.unicodeScalars.count }
        guard length <= 128 else { throw fail("exemplar label set longer than 128 characters", at: index) }
        guard index < end, buffer[index] == 0x20, index + 1 < end else { throw fail("exemplar without a value", at: index) }
        index += 1
        let valueStart = index
        while index < end, buffer[index] != 0x20 { index += 1 }
        let value = try number(valueStart, index, what: "exemplar value")
        var timestamp: Double?
        if index < end {
            guard index + 1 < end else { throw fail("trailing blank after the exemplar", at: index) }
            index += 1
            let stampStart = index
            while index < end, buffer[index] != 0x20 { index += 1 }
            timestamp = try self.timestamp(stampStart, index)
            guard index == end else { throw fail("unexpected text after the exemplar", at: index) }
        }
        return Exemplar(labels: labels, value: value, timestamp: timestamp)
    }
}
