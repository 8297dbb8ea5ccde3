import Foundation

/// A strict checker for Prometheus text format 0.0.4 as Envoy writes it, used to prove the
/// simulator's `/stats/prometheus` is valid: TYPE before samples, families contiguous, label
/// syntax, numeric values, histograms with increasing `le`, `+Inf` equal to `_count`.
enum ExpositionCheck {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    static func parse(_ text: String) throws -> (types: [String: String], samples: [Sample]) {
        var types: [String: String] = [:]
        var samples: [Sample] = []
        var seenFamilies: [String] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(rawLine)
            if line.isEmpty { continue }
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4 else { throw Failure(line: number + 1, reason: "bad TYPE line") }
                let family = String(parts[2])
                guard types[family] == nil else { throw Failure(line: number + 1, reason: "second TYPE for \(family)") }
                guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                    throw Failure(line: number + 1, reason: "unknown type \(parts[3])")
                }
                types[family] = String(parts[3])
                continue
            }
            if line.hasPrefix("#") { continue }
            let sample = try parseSample(line, number: number + 1)
            let family = familyName(of: sample.name, types: types)
            guard types[family] != nil else { throw Failure(line: number + 1, reason: "sample of \(family) before its TYPE") }
            if seenFamilies.last != family {
                guard !seenFamilies.contains(family) else { throw Failure(line: number + 1, reason: "family \(family) not contiguous") }
                seenFamilies.append(family)
            }
            samples.append(sample)
        }
        try checkHistograms(types: types, samples: samples)
        return (types, samples)
    }

    static func familyName(of name: String, types: [String: String]) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if types[base] == "histogram" || types[base] == "summary" { return base }
        }
        return name
    }

    static func parseSample(_ line: String, number: Int) throws -> Sample {
        let chars = Array(line)
        var index = 0
        var name = ""
        while index < chars.count, chars[index].isLetter || chars[index].isNumber || chars[index] == "_" || chars[index] == ":" {
            name.append(chars[index]); index += 1
        }
        guard let first = name.first, !first.isNumber else { throw Failure(line: number, reason: "bad metric name") }
        var labels: [String: String] = [:]
        if index < chars.count, chars[index] == "{" {
            index += 1
            while index < chars.count, chars[index] != "}" {
                var label = ""
                while index < chars.count, chars[index] != "=" { label.append(chars[index]); index += 1 }
                guard label.range(of: "^[a-zA-Z_][a-zA-Z0-9_]*$", options: .regularExpression) != nil else {
                    throw Failure(line: number, reason: "bad label name '\(label)'")
                }
                index += 1
                guard index < chars.count, chars[index] == "\"" else { throw Failure(line: number, reason: "label value not quoted") }
                index += 1
                var value = ""
                while index < chars.count, chars[index] != "\"" {
                    if chars[index] == "\\" { index += 1 }
                    value.append(chars[index]); index += 1
                }
                index += 1
                guard labels[label] == nil else { throw Failure(line: number, reason: "duplicate label \(label)") }
                labels[label] = value
                if index < chars.count, chars[index] == "," { index += 1 }
            }
            index += 1
        }
        let rest = String(chars[index...]).trimmingCharacters(in: .whitespaces).split(separator: " ")
        guard (1...2).contains(rest.count), let value = Double(rest[0].replacingOccurrences(of: "+Inf", with: "inf")) else {
            throw Failure(line: number, reason: "bad value")
        }
        return Sample(name: name, labels: labels, value: value)
    }

    static func checkHistograms(types: [String: String], samples: [Sample]) throws {
        for (family, type) in types where type == "histogram" {
            var buckets: [String: [(Double, Double)]] = [:]
            var counts: [String: Double] = [:]
            for sample in samples where sample.name.hasPrefix(family) {
                var key = sample.labels
                key["le"] = nil
                let id = key.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                if sample.name == family + "_bucket", let le = sample.labels["le"] {
                    buckets[id, default: []].append((le == "+Inf" ? .infinity : Double(le) ?? .nan, sample.value))
                } else if sample.name == family + "_count" {
                    counts[id] = sample.value
                }
            }
            for (id, series) in buckets {
                for pair in zip(series, series.dropFirst()) where !(pair.0.0 < pair.1.0 && pair.0.1 <= pair.1.1) {
                    throw Failure(line: 0, reason: "\(family){\(id)} buckets not increasing")
                }
                guard series.last?.0 == .infinity, series.last?.1 == counts[id] else {
                    throw Failure(line: 0, reason: "\(family){\(id)} +Inf bucket missing or not equal to _count")
                }
            }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var line: Int
        var reason: String
        var description: String { "line \(line): \(reason)" }
    }
}
