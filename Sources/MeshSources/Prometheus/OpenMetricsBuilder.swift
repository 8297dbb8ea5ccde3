/// Groups OpenMetrics lines into families and enforces the format's rules, following the
/// reference parser the conformance suite was written against (prometheus_client's openmetrics
/// parser): metadata before samples, no repeated metadata, no clashing names, contiguous groups,
/// timestamps that do not go backwards, per-type value and label rules, histogram consistency.
struct OpenMetricsBuilder {
    static let suffixes: [MetricType: [String]] = [
        .counter: ["_total", "_created"], .summary: ["", "_count", "_sum", "_created"],
        .histogram: ["_count", "_sum", "_bucket", "_created"], .gaugehistogram: ["_gcount", "_gsum", "_bucket"],
        .info: ["_info"],
    ]
    static let validTypes: Set<String> = ["counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset", "unknown"]

    var families: [MetricFamily] = []
    var seenNames: Set<String> = []
    // The family being built.
    var name = ""
    var typeText: String?
    var help: String?
    var unit: String?
    var samples: [Sample] = []
    var allowedNames: [String] = []
    var group: [Label]?
    var groupTimestamp: Double?
    var seenGroups: Set<[Label]> = []
    var groupSeries: Set<[Label]> = []
    var currentLine = 0

    func fail(_ reason: String) -> ExpositionError { ExpositionError(line: currentLine, reason: reason) }

    mutating func accept(_ line: ExpositionLine, lineNumber: Int) throws {
        currentLine = lineNumber
        switch line {
        case .eof, .blank, .comment:
            return
        case let .metadata(kind, candidate, text):
            if candidate == name, !samples.isEmpty { throw fail("metadata for \(name) after its samples") }
            if candidate != name {
                if !name.isEmpty { try build() }
                start(candidate)
            }
            switch kind {
            case "HELP":
                guard help == nil else { throw fail("more than one HELP for \(name)") }
                help = Self.unescapeHelp(text)
            case "TYPE":
                guard typeText == nil else { throw fail("more than one TYPE for \(name)") }
                guard text != "untyped" else { throw fail("TYPE untyped is not OpenMetrics (use unknown)") }
                typeText = text
                let type = MetricType(rawValue: text) ?? .unknown
                allowedNames = (Self.suffixes[type] ?? [""]).map { name + $0 }
            default:
                guard unit == nil else { throw fail("more than one UNIT for \(name)") }
                unit = text
            }
        case let .sample(sample):
            try add(sample)
        }
    }

    mutating func start(_ family: String) {
        name = family
        typeText = nil
        help = nil
        unit = nil
        samples = []
        allowedNames = [family]
        group = nil
        groupTimestamp = nil
        seenGroups = []
        groupSeries = []
    }

    var type: MetricType { typeText.flatMap(MetricType.init(rawValue:)) ?? .unknown }

    mutating func add(_ sample: Sample) throws {
        if !allowedNames.contains(sample.name) {
            if !name.isEmpty { try build() }
            start(sample.name)
            typeText = "unknown"
        }
        let type = self.type
        let suffix = String(sample.name.dropFirst(name.count))
        if type == .stateset, sample.label(name) == nil { throw fail("stateset sample without a \(name) label") }
        if suffix == "_bucket" {
            guard let le = sample.label("le"), le != "NaN", !Self.isUncanonicalInfinity(le), Double(le) != nil else {
                throw fail("invalid or missing le label")
            }
            guard sample.value.rounded() == sample.value else { throw fail("bucket value must be an integer") }
        }
        if suffix == "_count" || suffix == "_gcount", sample.value.rounded() != sample.value {
            throw fail("count value must be an integer")
        }
        if type == .summary, suffix.isEmpty {
            guard let text = sample.label("quantile"), let quantile = FloatSyntax.python(text), quantile >= 0, quantile <= 1,
                  !Self.isUncanonicalInfinity(text) else { throw fail("invalid quantile label") }
        }
        let key = groupKey(sample, suffix: suffix, type: type)
        if let group, key != group, seenGroups.contains(key) { throw fail("samples of one metric are not contiguous") }
        if let group, key == group {
            if (sample.timestamp == nil) != (groupTimestamp == nil) { throw fail("mix of samples with and without timestamps") }
            if let previous = groupTimestamp, let now = sample.timestamp, previous > now, type != .info {
                throw fail("timestamps went backwards")
            }
        } else {
            groupSeries = []
        }
        let series = [Label(name: "__name__", value: sample.name)] + sample.labels.sorted { $0.name < $1.name }
        if sample.timestamp != groupTimestamp || !groupSeries.contains(series) { samples.append(sample) }
        groupSeries.insert(series)
        group = key
        groupTimestamp = sample.timestamp
        seenGroups.insert(key)

        if type == .stateset, sample.value != 0, sample.value != 1 { throw fail("stateset values must be 0 or 1") }
        if type == .info, sample.value != 1 { throw fail("info values must be 1") }
        if type == .summary, suffix.isEmpty, sample.value < 0 { throw fail("quantile values cannot be negative") }
        let counterLike = ["_total", "_sum", "_count", "_bucket", "_gcount", "_gsum"].contains(suffix)
        if counterLike, sample.value.isNaN { throw fail("counter-like samples cannot be NaN") }
        if counterLike, suffix != "_gsum", sample.value < 0 { throw fail("counter-like samples cannot be negative") }
        if sample.exemplar != nil {
            let allowed = ((type == .histogram || type == .gaugehistogram) && sample.name.hasSuffix("_bucket"))
                || (type == .counter && sample.name.hasSuffix("_total"))
            guard allowed else { throw fail("only counter _total and histogram _bucket samples may carry exemplars") }
        }
    }

    /// Samples that belong together: labels without `le` / `quantile` / the stateset label.
    func groupKey(_ sample: Sample, suffix: String, type: MetricType) -> [Label] {
        var labels = sample.labels
        switch type {
        case .info: return []
        case .summary where suffix.isEmpty: labels.removeAll { $0.name == "quantile" }
        case .stateset: labels.removeAll { $0.name == name }
        case .histogram where suffix == "_bucket", .gaugehistogram where suffix == "_bucket": labels.removeAll { $0.name == "le" }
        default: break
        }
        return labels.sorted { $0.name < $1.name }
    }

    mutating func build() throws {
        let typeName = typeText ?? "unknown"
        let type = MetricType(rawValue: typeName) ?? .unknown
        for suffix in Set((Self.suffixes[type] ?? []) + [""]) {
            guard !seenNames.contains(name + suffix) else { throw fail("clashing name \(name + suffix)") }
            seenNames.insert(name + suffix)
        }
        if let unit, !unit.isEmpty {
            guard name.hasSuffix("_" + unit) else { throw fail("unit \(unit) does not match the name \(name)") }
            guard type != .info, type != .stateset else { throw fail("\(typeName) metrics cannot have a unit") }
        }
        guard Self.validTypes.contains(typeName) else { throw fail("invalid metric type '\(typeName)'") }
        if type == .histogram || type == .gaugehistogram { try checkHistogram() }
        families.append(MetricFamily(name: name, type: type, help: help, unit: unit, samples: samples))
    }

    mutating func finish(line: Int) throws -> [MetricFamily] {
        currentLine = line
        if !name.isEmpty { try build() }
        return families
    }

    /// Buckets increasing, `+Inf` present and equal to `_count`, `_sum`/`_count` pairing, and
    /// the sign rules for negative buckets.
    func checkHistogram() throws {
        struct State { var count: Double?; var bucket: Double?; var value = 0.0; var negativeBuckets = false
            var hasSum = false; var hasGSum = false; var negativeGSum = false }
        var state: State?
        var group: [Label]?
        var timestamp: Double?
        func check(_ state: State) throws {
            guard state.bucket == .infinity else { throw fail("\(name): +Inf bucket missing") }
            if let count = state.count, count != state.value { throw fail("\(name): _count does not match the +Inf bucket") }
            if state.hasSum, state.count == nil { throw fail("\(name): _sum without _count") }
            if state.hasGSum, state.count == nil { throw fail("\(name): _gsum without _gcount") }
            if !(state.hasSum || state.hasGSum), state.count != nil { throw fail("\(name): _count without _sum") }
            if state.negativeBuckets, state.hasSum { throw fail("\(name): _sum with negative buckets") }
            if !state.negativeBuckets, state.negativeGSum { throw fail("\(name): negative _gsum with non-negative buckets") }
        }
        for sample in samples {
            let suffix = String(sample.name.dropFirst(name.count))
            let key = groupKey(sample, suffix: suffix, type: .histogram)
            if key != group || sample.timestamp != timestamp {
                if let state { try check(state) }
                state = State()
            }
            group = key
            timestamp = sample.timestamp
            switch suffix {
            case "_bucket":
                let bound = Double(sample.label("le") ?? "") ?? .nan
                if bound < 0 { state?.negativeBuckets = true }
                if let previous = state?.bucket, bound <= previous { throw fail("\(name): buckets out of order") }
                if sample.value < state?.value ?? 0 { throw fail("\(name): bucket values decrease") }
                state?.bucket = bound
                state?.value = sample.value
            case "_count", "_gcount": state?.count = sample.value
            case "_sum": state?.hasSum = true
            case "_gsum":
                state?.hasGSum = true
                if sample.value < 0 { state?.negativeGSum = true }
            default: break
            }
        }
        if let state { try check(state) }
    }

    static func isUncanonicalInfinity(_ text: String) -> Bool {
        guard let value = Double(text), value.isInfinite else { return false }
        return text != "+Inf" && text != "-Inf"
    }

    /// HELP escapes: `\\` and `\n`; other backslashes stay.
    static func unescapeHelp(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var out = ""
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            guard character == "\\" else { out.append(character); continue }
            switch iterator.next() {
            case "\\": out.append("\\")
            case "n": out.append("\n")
            case let other?: out.append("\\"); out.append(other)
            case nil: out.append("\\")
            }
        }
        return out
    }
}

/// Groups Prometheus 0.0.4 samples into families by name (the input may interleave families,
/// as real Envoy output does), with `_bucket`/`_sum`/`_count` joined to their histogram or summary.
struct PrometheusBuilder {
    var families: [MetricFamily] = []
    var index: [String: Int] = [:]
    var lastFamily = -1
    var lastName = ""

    /// Sample-name suffixes and the family types they belong to.
    static let suffixes: [(String, Set<MetricType>)] = [
        ("_bucket", [.histogram, .gaugehistogram]), ("_sum", [.histogram, .summary]), ("_count", [.histogram, .summary]),
        ("_total", [.counter]), ("_created", [.counter, .histogram, .summary]), ("_info", [.info]),
        ("_gcount", [.gaugehistogram]), ("_gsum", [.gaugehistogram]),
    ]

    mutating func family(_ name: String) -> Int {
        if let existing = index[name] { return existing }
        families.append(MetricFamily(name: name, type: .untyped, help: nil, unit: nil, samples: []))
        index[name] = families.count - 1
        return families.count - 1
    }

    mutating func accept(_ line: ExpositionLine, lineNumber: Int) throws {
        switch line {
        case .eof, .blank, .comment:
            return
        case let .metadata(kind, name, text):
            let position = family(name)
            if kind == "UNIT" {
                families[position].unit = text
            } else if kind == "TYPE" {
                guard let type = MetricType(rawValue: text) else {
                    throw ExpositionError(line: lineNumber, reason: "invalid metric type '\(text)' for \(name)")
                }
                families[position].type = type
            } else {
                families[position].help = OpenMetricsBuilder.unescapeHelp(text)
            }
        case let .sample(sample):
            // Consecutive samples of one family are the common case: skip the lookups.
            if sample.name == lastName, lastFamily >= 0 {
                families[lastFamily].samples.append(sample)
                return
            }
            var position: Int?
            for suffix in Self.suffixes where sample.name.hasSuffix(suffix.0) {
                let base = String(sample.name.dropLast(suffix.0.count))
                if let existing = index[base], suffix.1.contains(families[existing].type) { position = existing }
            }
            let target = position ?? family(sample.name)
            families[target].samples.append(sample)
            lastFamily = target
            lastName = sample.name
        }
    }

    func finish() -> [MetricFamily] { families.filter { !$0.samples.isEmpty || $0.type != .untyped || $0.help != nil } }
}
