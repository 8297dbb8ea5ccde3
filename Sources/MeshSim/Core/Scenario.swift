import Foundation
import Yams

/// Something that happens to the simulated mesh on its timeline.
public enum ScenarioKind: String, Sendable, CaseIterable {
    /// Raise the 5xx share of a service's inbound traffic (`rate=0.3`).
    case errorSpike = "error-spike"
    /// Multiply a service's inbound latency (`factor=5`).
    case latencyRegression = "latency-regression"
    /// A proxy stops acknowledging pushes (`types=CDS,RDS`), so istioctl shows it STALE.
    case proxyStale = "proxy-stale"
    /// A workload's certificates get close to expiry and stop rotating (`left=2h`).
    case certExpiring = "cert-expiring"
    /// A workload's certificates expired (`ago=1h`) and were not rotated.
    case certExpired = "cert-expired"
    /// A VirtualService's weights change (`weights=v1:0,v2:50,v3:50`); configz and every
    /// affected config dump change together.
    case weightChange = "weight-change"
    /// A proxy disappears (its admin API stops answering, istiod forgets it) and, after `for`,
    /// comes back as a restarted pod.
    case proxyDown = "proxy-down"
    /// The certificates a node's ztunnel holds for its ambient pods get close to expiry and
    /// stop rotating (`node=sim-worker-1 left=2h`).
    case ztunnelCertExpiring = "ztunnel-cert-expiring"
    /// A node's ztunnel stops answering and leaves istiod's syncz (`node=sim-worker-2`); after
    /// `for` it comes back.
    case ztunnelDown = "ztunnel-down"
}

/// One scenario event: a kind, a start offset, an optional duration, and kind-specific settings.
public struct ScenarioEvent: Sendable, Equatable {
    public var kind: ScenarioKind
    /// Seconds after the simulator starts.
    public var at: TimeInterval
    /// How long it lasts; nil means until the simulator stops.
    public var duration: TimeInterval?
    /// Target and parameters: `service`, `proxy`, `workload`, `virtualService`, `rate`, `factor`,
    /// `types`, `left`, `ago`, `weights`.
    public var settings: [String: String]

    public init(kind: ScenarioKind, at: TimeInterval, duration: TimeInterval? = nil, settings: [String: String] = [:]) {
        self.kind = kind
        self.at = at
        self.duration = duration
        self.settings = settings
    }

    func isActive(atOffset offset: TimeInterval) -> Bool {
        offset >= at && (duration.map { offset < at + $0 } ?? true)
    }

    /// Parses the inline form `KIND key=value …`, e.g.
    /// `error-spike service=reviews at=30s for=60s rate=0.3`.
    public static func parse(inline text: String) throws -> ScenarioEvent {
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let first = words.first else { throw SimError.invalidScenario("empty scenario") }
        var fields: [String: String] = ["kind": first]
        for word in words.dropFirst() {
            guard let equals = word.firstIndex(of: "=") else {
                throw SimError.invalidScenario("'\(word)' in '\(text)' is not key=value")
            }
            fields[String(word[..<equals])] = String(word[word.index(after: equals)...])
        }
        return try parse(fields: fields, context: "'\(text)'")
    }

    /// Parses a scenario file: `scenarios:` followed by a list of mappings with the same keys as
    /// the inline form (`kind`, `at`, `for`, targets and parameters).
    public static func parse(yaml text: String, file: String) throws -> [ScenarioEvent] {
        let document: Any?
        do { document = try Yams.load(yaml: text) } catch {
            throw SimError.invalidScenario("\(file): not YAML: \(error)")
        }
        guard let root = document as? [String: Any], let list = root["scenarios"] as? [Any] else {
            throw SimError.invalidScenario("\(file): expected a top-level 'scenarios:' list")
        }
        return try list.enumerated().map { index, item in
            guard let mapping = item as? [String: Any] else {
                throw SimError.invalidScenario("\(file): scenarios[\(index)] is not a mapping")
            }
            var fields: [String: String] = [:]
            for (key, value) in mapping {
                if let weights = value as? [String: Any] {
                    fields[key] = weights.keys.sorted().map { "\($0):\(weights[$0]!)" }.joined(separator: ",")
                } else {
                    fields[key] = "\(value)"
                }
            }
            return try parse(fields: fields, context: "\(file): scenarios[\(index)]")
        }
    }

    static func parse(fields: [String: String], context: String) throws -> ScenarioEvent {
        guard let kindText = fields["kind"], let kind = ScenarioKind(rawValue: kindText) else {
            let known = ScenarioKind.allCases.map(\.rawValue).joined(separator: ", ")
            throw SimError.invalidScenario("\(context): unknown kind '\(fields["kind"] ?? "")' (known: \(known))")
        }
        let at = try fields["at"].map { try Duration.seconds(parsing: $0, context: context) } ?? 0
        let duration = try fields["for"].map { try Duration.seconds(parsing: $0, context: context) }
        var settings = fields
        for key in ["kind", "at", "for"] { settings[key] = nil }
        let needs: [ScenarioKind: String] = [
            .errorSpike: "service", .latencyRegression: "service", .proxyStale: "proxy", .certExpiring: "workload",
            .certExpired: "workload", .weightChange: "virtualService", .proxyDown: "proxy", .ztunnelCertExpiring: "node", .ztunnelDown: "node",
        ]
        if let required = needs[kind], settings[required] == nil {
            throw SimError.invalidScenario("\(context): \(kind.rawValue) needs \(required)=…")
        }
        if kind == .weightChange, settings["weights"] == nil {
            throw SimError.invalidScenario("\(context): weight-change needs weights=v1:50,v2:50")
        }
        return ScenarioEvent(kind: kind, at: at, duration: duration, settings: settings)
    }
}

/// Parses simple durations: `90`, `90s`, `5m`, `2h`, `3d`, `1h30m`.
public enum Duration {
    public static func seconds(parsing text: String, context: String = "") throws -> TimeInterval {
        if let plain = Double(text) { return plain }
        var total = 0.0
        var number = ""
        for character in text {
            if character.isNumber || character == "." {
                number.append(character)
                continue
            }
            let unit: Double
            switch character {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86400
            default: throw SimError.invalidScenario("\(context) bad duration '\(text)'")
            }
            guard let value = Double(number) else { throw SimError.invalidScenario("\(context) bad duration '\(text)'") }
            total += value * unit
            number = ""
        }
        guard number.isEmpty else { throw SimError.invalidScenario("\(context) bad duration '\(text)' (unit missing)") }
        return total
    }
}
