import Foundation

// MARK: - Numbers

/// Number syntaxes: OpenMetrics follows Python's `float()` (no hex, no underscores); Prometheus
/// text follows Go's `ParseFloat` as expfmt calls it.
enum FloatSyntax {
    static func python(_ text: String) -> Double? {
        let lower = text.lowercased()
        var body = Substring(lower)
        if body.first == "+" || body.first == "-" { body = body.dropFirst() }
        if ["inf", "infinity", "nan"].contains(body) { return Double(lower.replacingOccurrences(of: "infinity", with: "inf")) }
        var digits = 0, sawDot = false, sawExponent = false, exponentDigits = 0, index = body.startIndex
        while index < body.endIndex {
            let character = body[index]
            if character.isASCII, character.isNumber {
                if sawExponent { exponentDigits += 1 } else { digits += 1 }
            } else if character == ".", !sawDot, !sawExponent {
                sawDot = true
            } else if character == "e", !sawExponent, digits > 0 {
                sawExponent = true
                let next = body.index(after: index)
                if next < body.endIndex, body[next] == "+" || body[next] == "-" { index = next }
            } else {
                return nil
            }
            index = body.index(after: index)
        }
        guard digits > 0, !sawExponent || exponentDigits > 0 else { return nil }
        return Double(text)
    }

    /// Go's `strconv.ParseFloat(text, 64)` as expfmt's `parseFloat` calls it: decimal digits
    /// with an optional sign, point and exponent; `Inf`/`Infinity` with an optional sign and
    /// `NaN`, in any case. expfmt refuses `p` and `_`, so no hexadecimal floats nor digit
    /// separators; a value beyond the largest double is Go's range error.
    static func go(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        if let integer = fastInteger(buffer, start, end) { return integer }
        guard isDecimal(buffer, start, end) else { return special(buffer, start, end) }
        // Short texts (most values) are stored inline: no allocation.
        let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// Plain decimal integers (the common case in Envoy output) without allocating.
    @inline(__always) static func fastInteger(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        guard end > start, end - start < 16 else { return nil }
        var value = 0
        for index in start..<end {
            let digit = Int(buffer[index]) &- 0x30
            guard digit >= 0, digit <= 9 else { return nil }
            value = value &* 10 &+ digit
        }
        return Double(value)
    }

    /// `[+-]digits[.digits][e[+-]digits]`, with digits on at least one side of the point.
    static func isDecimal(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var index = start
        if index < end, buffer[index] == 0x2B || buffer[index] == 0x2D { index += 1 }
        var digits = false
        var point = false
        while index < end {
            let byte = buffer[index]
            if byte >= 0x30, byte <= 0x39 {
                digits = true
            } else if byte == 0x2E, !point {
                point = true
            } else {
                break
            }
            index += 1
        }
        guard digits else { return false }
        if index < end, buffer[index] | 0x20 == 0x65 { // 'e' or 'E'
            index += 1
            if index < end, buffer[index] == 0x2B || buffer[index] == 0x2D { index += 1 }
            guard index < end, buffer[index] >= 0x30, buffer[index] <= 0x39 else { return false }
            while index < end, buffer[index] >= 0x30, buffer[index] <= 0x39 { index += 1 }
        }
        return index == end
    }

    /// Go's `special`: `inf` or `infinity` with an optional sign, `nan` without one, any case.
    static func special(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        var index = start
        let negative = index < end && buffer[index] == 0x2D
        let signed = negative || (index < end && buffer[index] == 0x2B)
        if signed { index += 1 }
        if TextLineReader.equals(buffer, index, end, "inf", ignoringCase: true) || TextLineReader.equals(buffer, index, end, "infinity", ignoringCase: true) {
            return negative ? -.infinity : .infinity
        }
        if !signed, TextLineReader.equals(buffer, index, end, "nan", ignoringCase: true) { return .nan }
        return nil
    }
}
