/// Metric types of Prometheus text 0.0.4 and OpenMetrics 1.0.
public enum MetricType: String, Sendable, Codable, CaseIterable {
    case counter, gauge, histogram, gaugehistogram, summary, info, stateset, unknown
    /// Prometheus 0.0.4's name for `unknown`.
    case untyped
}

/// Which text format an exposition is in. OpenMetrics is strict (ends with `# EOF`, no blank
/// lines, families contiguous); Prometheus 0.0.4 is what Envoy and Linkerd serve.
public enum ExpositionFormat: String, Sendable, Codable {
    case prometheus
    case openMetrics

    /// OpenMetrics when the text ends with the `# EOF` marker, else Prometheus text.
    public static func detect(_ bytes: [UInt8]) -> ExpositionFormat {
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0x0A { end -= 1 }
        let marker: [UInt8] = Array("# EOF".utf8)
        guard end >= marker.count else { return .prometheus }
        return Array(bytes[(end - marker.count)..<end]) == marker && (end == marker.count || bytes[end - marker.count - 1] == 0x0A)
            ? .openMetrics : .prometheus
    }
}

public struct Label: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

public struct Exemplar: Sendable, Hashable {
    public var labels: [Label]
    public var value: Double
    public var timestamp: Double?
}

/// One sample line: `name{labels} value [timestamp] [# exemplar]`.
public struct Sample: Sendable {
    public var name: String
    public var labels: [Label]
    public var value: Double
    /// Seconds (OpenMetrics) or milliseconds (Prometheus text), as written.
    public var timestamp: Double?
    public var exemplar: Exemplar?
    /// 1-based line number in the input.
    public var line: Int

    /// The value of label `name`, if present.
    public func label(_ name: String) -> String? {
        for label in labels where label.name == name { return label.value }
        return nil
    }
}

/// A metric family: its metadata and samples (grouped by family even when the input interleaves
/// them, as real Envoy output does in Prometheus text).
public struct MetricFamily: Sendable {
    public var name: String
    public var type: MetricType
    public var help: String?
    public var unit: String?
    public var samples: [Sample]
}

/// A parsed exposition.
public struct Exposition: Sendable {
    public var format: ExpositionFormat
    public var families: [MetricFamily]

    public func family(_ name: String) -> MetricFamily? { families.first { $0.name == name } }

    public var sampleCount: Int { families.reduce(0) { $0 + $1.samples.count } }
}

/// A parse failure with the 1-based line and column where it happened.
public struct ExpositionError: Error, CustomStringConvertible, Equatable {
    public var line: Int
    /// Where on the line the text stops being an exposition, 1-based and counted in bytes from
    /// the line's first byte (1 when the whole line is wrong).
    public var column: Int
    public var reason: String

    public init(line: Int, column: Int = 1, reason: String) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    public var description: String { "line \(line): \(reason)" }
}
