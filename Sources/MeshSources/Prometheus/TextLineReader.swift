import Foundation

// MARK: - Prometheus text 0.0.4

/// Prometheus text 0.0.4 (§4.1), one line at a time, as byte ranges: the grammar and the
/// per-family rules shared by the parser (`PrometheusTextLines`, which makes Strings of the
/// ranges) and the Istio stats scanner (which reads the few labels it needs from the ranges), so
/// that the two accept and reject exactly the same input.
///
/// It follows the Prometheus Go parser (prometheus/common `expfmt/text_parse.go`, what
/// `promtool check metrics` runs) except where §4.1 says otherwise:
/// - trailing blanks after the value, the timestamp or the type are ignored (§4.1: "leading/
///   trailing blanks ignored"; Go rejects them) and so is the `\r` of a CRLF line end;
/// - tokens must be separated by blanks: Go reads `a{}1` and even `a-1` (as `a` = -1);
/// - `# HELP` escapes are `\\` and `\n` only (Go also takes `\"` since it reads UTF-8 names;
///   before, promtool 2.42's among them, it refused it as §4.1 does);
/// - a label name may not repeat, `le` and `quantile` included (Go lets a histogram's `le` and a
///   summary's `quantile` repeat, the last one winning);
/// - quoted UTF-8 names (`{"my.metric"}`, `{"label.x"="v"}`) are refused: §4.1 allows them only
///   when negotiated, and meshtop asks for plain 0.0.4 (Go's parser takes any quoted name whose
///   text is a valid name).
///
/// As in Go, TYPE is read in any case and also takes `gauge_histogram`/`gaugehistogram`; and
/// neither checks a histogram's or summary's structure (increasing `le`, a `+Inf` bucket equal
/// to `_count`) nor that each series appears once, which §4.1 describes as what producers write.
struct TextLineReader {
    let buffer: UnsafeBufferPointer<UInt8>
    private var position = 0
    private(set) var lineNumber = 0
    /// Where the current line starts, for the column of an error.
    private(set) var lineStart = 0
    /// The families met so far: at most one HELP and one TYPE each, TYPE before the samples.
    private(set) var families = FamilyBook()
    /// The label set of the last sample read (reused from line to line: no allocation per line).
    private(set) var labels: [LabelSpan] = []
    /// The name of the last sample read and what it resolved to: consecutive samples of one
    /// family (nearly every line) skip the family lookup. Reset by every HELP or TYPE line.
    private var lastSample: (start: Int, end: Int, family: Int, role: FamilyBook.Role)?

    init(buffer: UnsafeBufferPointer<UInt8>) {
        self.buffer = buffer
        labels.reserveCapacity(32)
    }

    /// One line read: metadata or a sample, as ranges of the buffer.
    enum Line {
        /// Empty or blank lines, comments, and HELP or TYPE lines that set nothing (Go accepts
        /// `# HELP name` and `# TYPE name` with nothing after the name).
        case ignored
        /// A docstring, escapes not yet decoded (they are valid).
        case help(family: String, text: Range<Int>)
        case type(family: String, MetricType)
        /// Its labels are in `labels` until the next line is read.
        case sample(TextSample)
    }

    struct TextSample {
        var nameStart: Int
        var nameEnd: Int
        /// Index of its family in `families`.
        var family: Int
        var value: Double
        var timestamp: Int64?
        /// Whether its name is the previous sample's (the parser reuses the String).
        var repeatsName: Bool
    }

    /// One `name="value"` of a label set; the value's range excludes the quotes.
    struct LabelSpan {
        var nameStart: Int
        var nameEnd: Int
        var valueStart: Int
        var valueEnd: Int
        /// Whether the value holds escapes (`\\`, `\"`, `\n`; others are refused).
        var escaped: Bool
        /// The last (up to) 8 bytes of the name, to compare names quickly.
        var nameTail: UInt64
    }

    /// The next line, without its line feed nor the `\r` of a CRLF; nil at the end.
    mutating func nextLine() -> (start: Int, end: Int)? {
        guard position < buffer.count, let base = buffer.baseAddress else { return nil }
        let start = position
        let end = memchr(base + start, 0x0A, buffer.count - start).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - base } ?? buffer.count
        position = end + 1
        lineNumber += 1
        lineStart = start
        return (start, end > start && buffer[end - 1] == 0x0D ? end - 1 : end)
    }

    /// An error on the current line at byte `index`.
    func fail(_ reason: String, at index: Int) -> ExpositionError {
        ExpositionError(line: lineNumber, column: index - lineStart + 1, reason: reason)
    }

    @inline(__always) private func isBlank(_ index: Int) -> Bool { buffer[index] == 0x20 || buffer[index] == 0x09 }

    @inline(__always) private func skipBlanks(_ index: inout Int, _ end: Int) {
        while index < end, isBlank(index) { index += 1 }
    }

    private func text(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
    }

    /// Reads the line `start..<end` (from `nextLine`).
    mutating func read(_ start: Int, _ end: Int) throws -> Line {
        var index = start
        skipBlanks(&index, end)
        guard index < end else { return .ignored }
        if buffer[index] == 0x23 { return try metadata(index, end) } // '#'
        return .sample(try sample(index, end))
    }

    // MARK: Samples

    /// `name [{labels}] value [timestamp]`.
    private mutating func sample(_ start: Int, _ end: Int) throws -> TextSample {
        guard LineScanner.isNameStart(buffer[start]) else {
            if buffer[start] == 0x7B || buffer[start] == 0x22 { // '{' or '"'
                throw fail("a quoted metric name (UTF-8 names are read only when negotiated; meshtop asks for plain text 0.0.4)", at: start)
            }
            throw fail("invalid metric name", at: start)
        }
        var index = start + 1
        while index < end, LineScanner.isNameByte(buffer[index]) { index += 1 }
        let nameEnd = index
        let (family, role, repeatsName) = resolve(start, nameEnd)
        let type = families.families[family].type
        labels.removeAll(keepingCapacity: true)
        var bucket = Double.nan
        skipBlanks(&index, end)
        if index < end, buffer[index] == 0x7B { // '{'
            bucket = try labelSet(&index, end, type: type)
        } else {
            index = nameEnd
        }
        let (value, valueStart, timestamp) = try valueAndTimestamp(index, end)
        // Go refuses negative histogram counts ("negative count", "negative bucket population").
        if value < 0, type == .histogram || type == .gaugehistogram {
            if role == .histogramCount { throw fail("negative count for histogram \(families.families[family].name)", at: valueStart) }
            if role == .plain, !bucket.isNaN { throw fail("negative bucket count for histogram \(families.families[family].name)", at: valueStart) }
        }
        return TextSample(nameStart: start, nameEnd: nameEnd, family: family, value: value, timestamp: timestamp, repeatsName: repeatsName)
    }

    /// The family of the sample named `start..<end`: the previous sample's when the name repeats.
    private mutating func resolve(_ start: Int, _ end: Int) -> (family: Int, role: FamilyBook.Role, repeatsName: Bool) {
        if let last = lastSample, last.end - last.start == end - start, let base = buffer.baseAddress,
           memcmp(base + start, base + last.start, end - start) == 0 {
            return (last.family, last.role, true)
        }
        let (family, role) = families.resolve(buffer, start, end)
        // Go: a family without a TYPE line is untyped from its first sample on.
        if families.families[family].type == nil { families.families[family].type = .untyped }
        lastSample = (start, end, family, role)
        return (family, role, false)
    }

    /// `{name="value",…}` from the `{` at `index`, leaving `index` after the `}`. Blanks may
    /// surround names, `=`, values and commas; a trailing comma is allowed. Returns the `le`
    /// bound of a histogram's sample (NaN without one), which Go checks for negative counts.
    private mutating func labelSet(_ index: inout Int, _ end: Int, type: MetricType?) throws -> Double {
        var bucket = Double.nan
        var seen: (UInt64, UInt64) = (0, 0)
        index += 1 // '{'
        while true {
            skipBlanks(&index, end)
            guard index < end else { throw fail("unterminated label set", at: index) }
            if buffer[index] == 0x7D { // '}'
                index += 1
                return bucket
            }
            let nameStart = index
            guard LineScanner.isLabelStart(buffer[index]) else {
                if buffer[index] == 0x22 { throw fail("a quoted label name (UTF-8 names are read only when negotiated)", at: index) }
                throw fail("invalid label name", at: index)
            }
            index += 1
            while index < end, LineScanner.isLabelByte(buffer[index]) { index += 1 }
            let nameEnd = index
            skipBlanks(&index, end)
            guard index < end, buffer[index] == 0x3D else { throw fail("expected '=' after label \(text(nameStart, nameEnd))", at: index) }
            index += 1
            skipBlanks(&index, end)
            guard index < end, buffer[index] == 0x22 else { throw fail("label value of \(text(nameStart, nameEnd)) is not quoted", at: index) }
            index += 1
            let span = try labelValue(&index, end, nameStart: nameStart, nameEnd: nameEnd)
            try checkName(span, seen: &seen)
            if let bound = try boundOrQuantile(span, type: type) { bucket = bound }
            labels.append(span)
            skipBlanks(&index, end)
            guard index < end else { throw fail("unterminated label set", at: index) }
            if buffer[index] == 0x2C { // ','
                index += 1
            } else if buffer[index] != 0x7D {
                throw fail("expected ',' or '}' after label \(text(nameStart, nameEnd))", at: index)
            }
        }
    }

    /// A quoted value from after its opening quote, leaving `index` after the closing one.
    /// Escapes are `\\`, `\"` and `\n` only (Go: "invalid escape sequence"); the bytes must be
    /// UTF-8 (Go: "invalid label value").
    private func labelValue(_ index: inout Int, _ end: Int, nameStart: Int, nameEnd: Int) throws -> LabelSpan {
        let valueStart = index
        var escaped = false
        var highBits: UInt8 = 0
        // Eight bytes at a time while none is a quote, a backslash or a non-ASCII byte (values
        // are most of a line's bytes); the byte loop below takes the rest.
        if let base = buffer.baseAddress {
            while index + 8 <= end, !Self.mayEndPlainText(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) { index += 8 }
        }
        while index < end {
            let byte = buffer[index]
            if byte == 0x22 { break }
            if byte == 0x5C { // '\'
                guard index + 1 < end, buffer[index + 1] == 0x5C || buffer[index + 1] == 0x22 || buffer[index + 1] == 0x6E else {
                    let what = index + 1 < end ? "invalid escape '\\\(text(index + 1, min(end, index + 2)))'" : "a backslash at the end of the line"
                    throw fail("\(what) in the label value of \(text(nameStart, nameEnd)) (escapes are \\\\, \\\" and \\n)", at: index)
                }
                escaped = true
                index += 1
            }
            highBits |= byte
            index += 1
        }
        guard index < end else { throw fail("unterminated label value of \(text(nameStart, nameEnd))", at: index) }
        if highBits & 0x80 != 0, let invalid = Self.firstInvalidUTF8(buffer, valueStart, index) {
            throw fail("the label value of \(text(nameStart, nameEnd)) is not UTF-8", at: invalid)
        }
        let valueEnd = index
        index += 1
        return LabelSpan(nameStart: nameStart, nameEnd: nameEnd, valueStart: valueStart, valueEnd: valueEnd, escaped: escaped,
                         nameTail: Self.tail(buffer, nameStart, nameEnd))
    }

    /// `__name__` is reserved (Go: "label name is reserved"); a name may appear once per set.
    /// `seen` has a bit per name of the set so far (by a hash of its tail): only a name whose
    /// bit is already set is compared with the others (Istio's 25 labels: a few comparisons
    /// per line, not 300).
    private func checkName(_ span: LabelSpan, seen: inout (UInt64, UInt64)) throws {
        let length = span.nameEnd - span.nameStart
        guard let base = buffer.baseAddress else { return }
        if length == 8, memcmp(base + span.nameStart, Self.reservedName, 8) == 0 {
            throw fail("the label name __name__ is reserved", at: span.nameStart)
        }
        let hash = (span.nameTail ^ UInt64(length)) &* 0x9E37_79B9_7F4A_7C15
        let bit: UInt64 = 1 << (hash >> 58)
        let wasSeen = (hash >> 57) & 1 == 0 ? seen.0 & bit != 0 : seen.1 & bit != 0
        if (hash >> 57) & 1 == 0 { seen.0 |= bit } else { seen.1 |= bit }
        guard wasSeen else { return }
        for other in labels where other.nameTail == span.nameTail && other.nameEnd - other.nameStart == length {
            if memcmp(base + other.nameStart, base + span.nameStart, length) == 0 {
                throw fail("duplicate label \(text(span.nameStart, span.nameEnd))", at: span.nameStart)
            }
        }
    }

    private static let reservedName: [UInt8] = Array("__name__".utf8)

    /// In a histogram's samples `le`, in a summary's `quantile`, must be float text (Go:
    /// "expected float as value for 'le' label"). Returns a histogram's bound.
    private func boundOrQuantile(_ span: LabelSpan, type: MetricType?) throws -> Double? {
        let histogram = type == .histogram || type == .gaugehistogram
        guard histogram || type == .summary else { return nil }
        let label: StaticString = histogram ? "le" : "quantile"
        guard Self.equals(buffer, span.nameStart, span.nameEnd, label) else { return nil }
        // An escape leaves a backslash, quote or line feed in the value: never a float.
        guard !span.escaped, let value = FloatSyntax.go(buffer, span.valueStart, span.valueEnd) else {
            throw fail("\(label) must be a float, not '\(text(span.valueStart, span.valueEnd))'", at: span.valueStart)
        }
        return histogram ? value : nil
    }

    /// From `start`, just after the name or the label set: blanks, the value (Go's
    /// ParseFloat), then optionally blanks and a timestamp (int64 milliseconds), then only
    /// blanks. Shared with the Istio scanner's reading of bucket lines.
    func valueAndTimestamp(_ start: Int, _ end: Int) throws -> (value: Double, valueStart: Int, timestamp: Int64?) {
        var index = start
        guard index < end, isBlank(index) else {
            throw fail(index < end ? "expected a blank before the value" : "missing value", at: index)
        }
        skipBlanks(&index, end)
        guard index < end else { throw fail("missing value", at: index) }
        let valueStart = index
        while index < end, !isBlank(index) { index += 1 }
        guard let value = FloatSyntax.go(buffer, valueStart, index) else {
            throw fail("invalid value '\(text(valueStart, index))'", at: valueStart)
        }
        skipBlanks(&index, end)
        guard index < end else { return (value, valueStart, nil) }
        let stampStart = index
        while index < end, !isBlank(index) { index += 1 }
        guard let timestamp = Self.int64(buffer, stampStart, index) else {
            throw fail("invalid timestamp '\(text(stampStart, index))' (integer milliseconds expected)", at: stampStart)
        }
        skipBlanks(&index, end)
        guard index == end else { throw fail("unexpected text after the timestamp", at: index) }
        return (value, valueStart, timestamp)
    }

    // MARK: Metadata

    /// `# HELP name docstring`, `# TYPE name type`, or a comment. As in Go, a line that ends
    /// after `HELP`/`TYPE` or after the name sets nothing, and so does an empty docstring.
    private mutating func metadata(_ hash: Int, _ end: Int) throws -> Line {
        var index = hash + 1
        skipBlanks(&index, end)
        let keywordStart = index
        while index < end, !isBlank(index) { index += 1 }
        let isHelp = Self.equals(buffer, keywordStart, index, "HELP")
        guard isHelp || Self.equals(buffer, keywordStart, index, "TYPE") else { return .ignored }
        let kind = isHelp ? "HELP" : "TYPE"
        skipBlanks(&index, end)
        guard index < end else { return .ignored }
        let nameStart = index
        guard LineScanner.isNameStart(buffer[index]) else {
            if buffer[index] == 0x22 { throw fail("a quoted metric name in \(kind) (UTF-8 names are read only when negotiated)", at: index) }
            throw fail("invalid metric name in \(kind)", at: index)
        }
        while index < end, LineScanner.isNameByte(buffer[index]) { index += 1 }
        guard index < end else { return .ignored }
        guard isBlank(index) else { throw fail("invalid metric name in \(kind)", at: index) }
        // A TYPE can change which family a name belongs to: the next sample is looked up again.
        lastSample = nil
        let (family, _) = families.resolve(buffer, nameStart, index)
        skipBlanks(&index, end)
        guard index < end else { return .ignored }
        let name = families.families[family].name
        if isHelp {
            guard !families.families[family].hasHelp else { throw fail("a second HELP for \(name)", at: nameStart) }
            try checkHelpEscapes(index, end)
            families.families[family].hasHelp = true
            return .help(family: name, text: index..<end)
        }
        guard families.families[family].type == nil else {
            throw fail("a second TYPE for \(name), or a TYPE after its first sample", at: nameStart)
        }
        var typeEnd = end
        while typeEnd > index, isBlank(typeEnd - 1) { typeEnd -= 1 }
        guard let type = Self.metricType(buffer, index, typeEnd) else {
            throw fail("invalid metric type '\(text(index, typeEnd))' for \(name)", at: index)
        }
        families.families[family].type = type
        return .type(family: name, type)
    }

    /// §4.1: docstring escapes are `\\` and `\n` only.
    private func checkHelpEscapes(_ start: Int, _ end: Int) throws {
        var index = start
        while index < end {
            if buffer[index] == 0x5C {
                guard index + 1 < end, buffer[index + 1] == 0x5C || buffer[index + 1] == 0x6E else {
                    let what = index + 1 < end ? "invalid escape '\\\(text(index + 1, min(end, index + 2)))'" : "a backslash at the end of the line"
                    throw fail("\(what) in HELP (escapes are \\\\ and \\n)", at: index)
                }
                index += 1
            }
            index += 1
        }
    }

    /// The types of text 0.0.4, in any case as Go reads them, and Go's gauge histograms.
    static func metricType(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> MetricType? {
        for (spelling, type) in typeSpellings where equals(buffer, start, end, spelling, ignoringCase: true) { return type }
        return nil
    }

    private static let typeSpellings: [(StaticString, MetricType)] = [
        ("counter", .counter), ("gauge", .gauge), ("histogram", .histogram), ("summary", .summary), ("untyped", .untyped),
        ("gauge_histogram", .gaugehistogram), ("gaugehistogram", .gaugehistogram),
    ]

    /// Whether `start..<end` holds `literal` (ASCII letters compared without case if asked).
    static func equals(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ literal: StaticString, ignoringCase: Bool = false) -> Bool {
        guard end - start == literal.utf8CodeUnitCount else { return false }
        let bytes = literal.utf8Start
        for offset in 0..<(end - start) {
            var byte = buffer[start + offset]
            if ignoringCase, byte >= 0x41, byte <= 0x5A { byte |= 0x20 }
            if byte != bytes[offset] { return false }
        }
        return true
    }

    // MARK: Bytes

    /// Whether any of eight bytes is a quote, a backslash or not ASCII (a byte is zero in
    /// `word ^ repeated` exactly where `word` holds the repeated byte).
    @inline(__always) static func mayEndPlainText(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        return ((quotes &- ones) & ~quotes | (backslashes &- ones) & ~backslashes | word) & highs != 0
    }

    /// The last (up to) 8 bytes of a range as one integer.
    @inline(__always) static func tail(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        if end - start >= 8, let base = buffer.baseAddress {
            return UnsafeRawPointer(base + end - 8).loadUnaligned(as: UInt64.self)
        }
        var value: UInt64 = 0
        for index in start..<end { value = value << 8 | UInt64(buffer[index]) }
        return value
    }

    /// Go's `strconv.ParseInt(text, 10, 64)`: an optional sign and decimal digits, in range.
    static func int64(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int64? {
        var index = start
        let negative = index < end && buffer[index] == 0x2D
        if index < end, negative || buffer[index] == 0x2B { index += 1 }
        guard index < end else { return nil }
        // Accumulated negatively: Int64.min has no positive counterpart.
        var value: Int64 = 0
        while index < end {
            let digit = Int64(buffer[index]) &- 0x30
            guard digit >= 0, digit <= 9 else { return nil }
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            let (next, underflow) = times.subtractingReportingOverflow(digit)
            guard !overflow, !underflow else { return nil }
            value = next
            index += 1
        }
        if negative { return value }
        return value == .min ? nil : -value
    }

    /// Where `start..<end` stops being UTF-8, if it does (Go's `utf8.ValidString`).
    static func firstInvalidUTF8(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var bytes = UnsafeBufferPointer(rebasing: buffer[start..<end]).makeIterator()
        var offset = start
        while true {
            switch parser.parseScalar(from: &bytes) {
            case let .valid(scalar): offset += scalar.count
            case .error: return offset
            case .emptyInput: return nil
            }
        }
    }
}
