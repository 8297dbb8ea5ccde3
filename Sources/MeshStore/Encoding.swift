import Foundation
import MeshModel

/// Scaled-integer encoding of metric values (see Schema): small rows, exact enough for display
/// (a milli-request per second, a part per million, a microsecond).
enum Scaled {
    static func milli(_ value: Double) -> Int64 { value.isFinite ? Int64((value * 1000).rounded()) : 0 }
    static func ppm(_ value: Double?) -> Int64? { value.flatMap { $0.isFinite ? Int64(($0 * 1_000_000).rounded()) : nil } }
    static func micros(_ ms: Double?) -> Int64? { value(ms, scale: 1000) }
    static func value(_ value: Double?, scale: Double) -> Int64? { value.flatMap { $0.isFinite ? Int64(($0 * scale).rounded()) : nil } }

    static func rps(_ milli: Int64) -> Double { Double(milli) / 1000 }
    static func share(_ ppm: Int64?) -> Double? { ppm.map { Double($0) / 1_000_000 } }
    static func ms(_ micros: Int64?) -> Double? { micros.map { Double($0) / 1000 } }
}

extension Health {
    /// Stored code: the rank (0 healthy … 6 critical), so `max()` is the worst.
    static let ordered = Health.allCases.sorted()

    var code: Int { Health.ordered.firstIndex(of: self)! }

    init(code: Int) {
        self = Health.ordered.indices.contains(code) ? Health.ordered[code] : .unknown
    }
}

extension TrafficMetrics {
    /// Columns rps_milli, err5xx_ppm, err4xx_ppm, p50_us, p95_us, p99_us in schema order.
    var columns: [Int64?] {
        [Scaled.milli(rps), Scaled.ppm(serverErrorRate), Scaled.ppm(clientErrorRate),
         Scaled.micros(latencyMs.p50), Scaled.micros(latencyMs.p95), Scaled.micros(latencyMs.p99)]
    }

    static let columnNames = ["rps_milli", "err5xx_ppm", "err4xx_ppm", "p50_us", "p95_us", "p99_us"]

    /// Success is 1 − the 5xx share (as the poller derives it), unknown without traffic.
    init(columns: [Int64?]) {
        let serverErrors = Scaled.share(columns[1])
        self.init(rps: Scaled.rps(columns[0] ?? 0), successRate: serverErrors.map { 1 - $0 }, serverErrorRate: serverErrors,
                  clientErrorRate: Scaled.share(columns[2]),
                  latencyMs: LatencyQuantiles(p50: Scaled.ms(columns[3]), p95: Scaled.ms(columns[4]), p99: Scaled.ms(columns[5])))
    }
}

/// Version shares of an edge as compact text: `v1=0.5 v2=0.25`.
enum Shares {
    static func text(_ shares: [String: Double]) -> String? {
        shares.isEmpty ? nil : shares.keys.sorted().map { "\($0)=\(($0 == "" ? 0 : (shares[$0]! * 10000).rounded() / 10000))" }.joined(separator: " ")
    }

    static func parse(_ text: String?) -> [String: Double] {
        var out: [String: Double] = [:]
        for pair in (text ?? "").split(separator: " ") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Double(parts[1]) { out[String(parts[0])] = value }
        }
        return out
    }
}

/// Health verdicts that are not worth a text per sample: the reason is stored only for
/// degraded-or-worse samples and rebuilt for the rest.
enum Reasons {
    static func stored(_ verdict: HealthVerdict) -> String? { verdict.health >= .degraded ? verdict.reason : nil }

    static func verdict(code: Int, reason: String?) -> HealthVerdict {
        let health = Health(code: code)
        if let reason { return HealthVerdict(health, reason: reason) }
        switch health {
        case .healthy: return HealthVerdict(.healthy, reason: "no errors")
        case .idle: return HealthVerdict(.idle, reason: "no traffic")
        default: return HealthVerdict(health, reason: "(recorded without a reason)")
        }
    }
}

/// JSON bodies of states, with sorted keys so equal values give equal text.
enum Bodies {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()

    static func encode<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try decoder.decode(type, from: Data(text.utf8)) }
}
