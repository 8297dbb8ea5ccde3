import Foundation

/// The Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`; mesh-apis.md §3.1): URLs
/// and the response envelope. Queries are sent with GET (meshtop's fetcher is read-only by
/// construction); the longest query meshtop sends is well under 2 KB of URL.
public enum PrometheusAPI {
    /// One series of a result: its labels and its samples (one for a vector, many for a matrix).
    public struct Series: Sendable, Equatable {
        public var labels: [String: String]
        public var samples: [(time: Double, value: Double)]

        public init(labels: [String: String], samples: [(time: Double, value: Double)]) {
            self.labels = labels
            self.samples = samples
        }

        public static func == (lhs: Series, rhs: Series) -> Bool {
            lhs.labels == rhs.labels && lhs.samples.count == rhs.samples.count
                && zip(lhs.samples, rhs.samples).allSatisfy { $0.time == $1.time && ($0.value == $1.value || ($0.value.isNaN && $1.value.isNaN)) }
        }

        /// The (last) sample value: what an instant vector holds.
        public var value: Double? { samples.last?.value }
    }

    /// Statuses whose bodies are still the JSON envelope (400 bad_data, 422 execution, 503
    /// timeout/unavailable), so the error Prometheus gives can be shown.
    public static let errorStatuses: Set<Int> = [400, 422, 503]

    /// The path of an instant query (`/api/v1/query`), at `time` or now.
    public static func queryPath(_ query: String, time: Date? = nil) -> String {
        var path = "/api/v1/query?query=" + QueryText.value(query)
        if let time { path += "&time=" + String(format: "%.3f", time.timeIntervalSince1970) }
        return path
    }

    /// The path of a range query (`/api/v1/query_range`).
    public static func rangePath(_ query: String, start: Date, end: Date, step: Double) -> String {
        "/api/v1/query_range?query=" + QueryText.value(query) + "&start=" + String(format: "%.3f", start.timeIntervalSince1970)
            + "&end=" + String(format: "%.3f", end.timeIntervalSince1970) + "&step=" + String(format: "%g", step)
    }

    /// Decodes the envelope: series of a vector or matrix result, a scalar as one unlabelled
    /// series. An error envelope (`status: error`) throws with Prometheus's own `errorType` and
    /// message; anything else that is not the envelope throws a `FormatError`.
    public static func decode(_ body: [UInt8]) throws -> [Series] {
        let tree: JSON
        do { tree = try JSON.parse(body) } catch { throw FormatError("not JSON: \(error)") }
        guard let status = tree["status"]?.string else { throw FormatError("not a Prometheus API response (no status)") }
        guard status == "success" else {
            let kind = tree["errorType"]?.string ?? "error"
            throw QueryError(errorType: kind, message: tree["error"]?.string ?? "(no message)")
        }
        guard let data = tree["data"], let type = data["resultType"]?.string else { throw FormatError("success without data.resultType") }
        let result = data["result"] ?? .null
        switch type {
        case "vector":
            // Native-histogram samples (`histogram`) are not numbers: meshtop queries classic
            // buckets, so such series are skipped rather than failing the whole answer.
            return try result.array.compactMap { item in
                guard let pair = item["value"] else {
                    if item["histogram"] != nil { return nil }
                    throw FormatError("vector sample without value")
                }
                return Series(labels: try labels(item), samples: [try sample(pair)])
            }
        case "matrix":
            return try result.array.compactMap { item in
                guard let values = item["values"] else {
                    if item["histograms"] != nil { return nil }
                    throw FormatError("matrix series without values")
                }
                return Series(labels: try labels(item), samples: try values.array.map(sample))
            }
        case "scalar":
            return [Series(labels: [:], samples: [try sample(result)])]
        default:
            throw FormatError("result type \(type) is not a number series")
        }
    }

    static func labels(_ item: JSON) throws -> [String: String] {
        guard case let .object(members) = item["metric"] ?? .object([:]) else { throw FormatError("metric is not an object") }
        return try members.mapValues { value in
            guard let text = value.string else { throw FormatError("label value is not a string") }
            return text
        }
    }

    /// `[<unix seconds>, "<value>"]`; values are strings and may be `NaN`, `+Inf`, `-Inf`.
    static func sample(_ pair: JSON) throws -> (time: Double, value: Double) {
        let items = pair.array
        guard items.count == 2, let time = items[0].number, let text = items[1].string else { throw FormatError("sample is not [time, \"value\"]") }
        guard let value = parseValue(text) else { throw FormatError("sample value \(text) is not a number") }
        return (time, value)
    }

    public static func parseValue(_ text: String) -> Double? {
        switch text.lowercased() {
        case "nan": .nan
        case "+inf", "inf": .infinity
        case "-inf": -.infinity
        default: Double(text)
        }
    }

    /// An error Prometheus reported in its envelope (bad PromQL, a timeout, …).
    public struct QueryError: Error, CustomStringConvertible, Equatable, Sendable {
        public var errorType: String
        public var message: String
        public var description: String { "query failed (\(errorType)): \(message)" }
    }
}
