import Foundation

/// Our own parser for Prometheus text 0.0.4 and OpenMetrics 1.0 (a hot path: every proxy scrape
/// goes through it). It scans bytes and interns repeated strings. Prometheus text is read as
/// mesh-apis.md §4.1 states it and as the Prometheus Go parser reads it (`TextLineReader`);
/// OpenMetrics mode enforces the rules of the OpenMetrics conformance suite. Every error names
/// its line and column.
public enum ExpositionParser {
    /// Parses an exposition. `strict` applies every OpenMetrics rule of the conformance suite
    /// (for validation); the default accepts what real producers emit and Prometheus itself
    /// scrapes (blank lines, clashing names, interleaved families), still rejecting malformed lines.
    public static func parse(_ text: String, format: ExpositionFormat? = nil, strict: Bool = false) throws -> Exposition {
        try parse(Array(text.utf8), format: format, strict: strict)
    }

    public static func parse(_ bytes: [UInt8], format: ExpositionFormat? = nil, strict: Bool = false) throws -> Exposition {
        let format = format ?? ExpositionFormat.detect(bytes)
        return try bytes.withUnsafeBufferPointer { buffer in
            guard format == .openMetrics else {
                var lines = PrometheusTextLines(buffer: buffer)
                var builder = PrometheusBuilder()
                try lines.run { line, number in try builder.accept(line, lineNumber: number) }
                return Exposition(format: format, families: builder.finish())
            }
            var scanner = LineScanner(buffer: buffer, strict: strict)
            if strict {
                var builder = OpenMetricsBuilder()
                try scanner.run { line, number in try builder.accept(line, lineNumber: number) }
                return Exposition(format: format, families: try builder.finish(line: scanner.lineNumber))
            }
            var builder = PrometheusBuilder()
            try scanner.run { line, number in try builder.accept(line, lineNumber: number) }
            return Exposition(format: format, families: builder.finish())
        }
    }
}

/// One line of input, classified.
enum ExpositionLine {
    case eof
    case metadata(kind: String, name: String, text: String)
    case comment
    case blank
    case sample(Sample)
}


/// Go's `metricFamiliesByName`: the families met so far, under the name each was met by, with
/// what §4.1 allows once per family (one HELP, one TYPE, before the first sample). A name finds
/// its family as in Go: a family of that very name first, then `x` for `x_count` and `x_sum`
/// when `x` is a summary, then `x` for `x_count`, `x_sum` and `x_bucket` when `x` is a
/// histogram; otherwise the name starts a family.
struct FamilyBook {
    struct Family {
        var name: String
        /// Set by a TYPE line, or untyped from the family's first sample on.
        var type: MetricType?
        var hasHelp = false
    }

    /// What a sample is to its family: Go checks a histogram's count, not its sum.
    enum Role { case plain, histogramCount, histogramSum }

    var families: [Family] = []
    /// Family names interned: the family of an interned name by the name's id (-1: none).
    private var names = StringInterner(capacity: 512)
    private var familyByNameID: [Int32] = []
    /// Families of names the interner no longer takes (beyond 65,536 distinct names).
    private var familyByOverflowName: [String: Int] = [:]

    /// Go's `setOrCreateCurrentMF`.
    mutating func resolve(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> (family: Int, role: Role) {
        let own = find(buffer, start, end)
        if let family = own.family { return (family, .plain) }
        let length = end - start
        let count = length > 6 && TextLineReader.equals(buffer, end - 6, end, "_count")
        let sum = length > 4 && TextLineReader.equals(buffer, end - 4, end, "_sum")
        let bucket = length > 7 && TextLineReader.equals(buffer, end - 7, end, "_bucket")
        if count || sum || bucket, let base = find(buffer, start, end - (count ? 6 : sum ? 4 : 7)).family {
            switch families[base].type {
            case .summary where !bucket: return (base, .plain)
            case .histogram, .gaugehistogram: return (base, count ? .histogramCount : sum ? .histogramSum : .plain)
            default: break
            }
        }
        return (add(own.name, id: own.id), .plain)
    }

    /// The family named exactly `start..<end`, if any, with the name and its interned id.
    private mutating func find(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> (family: Int?, name: String, id: Int) {
        let (name, id) = names.intern(buffer, start, end)
        guard id >= 0 else { return (familyByOverflowName[name], name, id) }
        guard id < familyByNameID.count, familyByNameID[id] >= 0 else { return (nil, name, id) }
        return (Int(familyByNameID[id]), name, id)
    }

    private mutating func add(_ name: String, id: Int) -> Int {
        let family = families.count
        families.append(Family(name: name))
        if id < 0 {
            familyByOverflowName[name] = family
        } else {
            while familyByNameID.count <= id { familyByNameID.append(-1) }
            familyByNameID[id] = Int32(family)
        }
        return family
    }

    /// The family named `name`, if it was met (a linear search: for a few questions at the end).
    func family(named name: String) -> Family? { families.first { $0.name == name } }
}

/// Prometheus text 0.0.4 as `ExpositionLine`s for the builder: the reader's ranges made Strings,
/// interned (label names and most values repeat on every line of an Envoy scrape).
struct PrometheusTextLines {
    var reader: TextLineReader
    var interner = StringInterner()
    /// The previous sample's name: consecutive samples of one family reuse it.
    var lastName = ""

    init(buffer: UnsafeBufferPointer<UInt8>) {
        reader = TextLineReader(buffer: buffer)
    }

    /// Hands every line that says something to `body` (blank lines and comments are left out).
    mutating func run(_ body: (ExpositionLine, Int) throws -> Void) throws {
        while let (start, end) = reader.nextLine() {
            switch try reader.read(start, end) {
            case .ignored:
                continue
            case let .help(family, text):
                let docstring = String(decoding: UnsafeBufferPointer(rebasing: reader.buffer[text]), as: UTF8.self)
                try body(.metadata(kind: "HELP", name: family, text: docstring), reader.lineNumber)
            case let .type(family, type):
                try body(.metadata(kind: "TYPE", name: family, text: type.rawValue), reader.lineNumber)
            case let .sample(sample):
                try body(.sample(makeSample(sample)), reader.lineNumber)
            }
        }
    }

    private mutating func makeSample(_ sample: TextLineReader.TextSample) -> Sample {
        let buffer = reader.buffer
        let name = sample.repeatsName ? lastName : interner.string(buffer, sample.nameStart, sample.nameEnd)
        lastName = name
        var labels: [Label] = []
        labels.reserveCapacity(reader.labels.count)
        for span in reader.labels {
            let value = span.escaped ? LineScanner.unescape(buffer, span.valueStart, span.valueEnd)
                : interner.string(buffer, span.valueStart, span.valueEnd)
            labels.append(Label(name: interner.string(buffer, span.nameStart, span.nameEnd), value: value))
        }
        return Sample(name: name, labels: labels, value: sample.value, timestamp: sample.timestamp.map { Double($0) }, exemplar: nil,
                      line: reader.lineNumber)
    }
}
