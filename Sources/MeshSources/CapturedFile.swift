import Foundation
import Yams

/// What a captured file is, recognised by its content (not its name).
public enum CapturedFileKind: String, Sendable, CaseIterable {
    case configDump = "config dump"
    /// A ztunnel's `/config_dump` (workloads, services, policies, certificates).
    case ztunnelConfigDump = "ztunnel config dump"
    case certs = "/certs"
    case clusters = "/clusters"
    case listeners = "/listeners"
    case serverInfo = "/server_info"
    case exposition = "exposition text"
    case syncz, registryz, configz, endpointz
    /// `/stats?format=json`.
    case statsJSON = "/stats?format=json"
    /// `/stats` as text: `name: value` lines.
    case statsText = "/stats"
    /// `/clusters` as text: `cluster::host::field::value` lines.
    case clustersText = "/clusters (text)"
    /// `/ready`: the server state in a word.
    case ready = "/ready"
}

/// A recognised, parsed capture, or an error as `file:line: reason`.
public struct CapturedFile: Sendable {
    public var kind: CapturedFileKind
    /// JSON documents (YAML config dumps are converted), as bytes.
    public var json: [UInt8]?
    public var yaml: Bool

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var file: String
        public var line: Int
        public var reason: String
        public var description: String { "\(file):\(line): \(reason)" }

        public init(file: String, line: Int, reason: String) {
            self.file = file
            self.line = line
            self.reason = reason
        }
    }

    /// Detects the kind of `bytes` (from `file`, for messages).
    public static func detect(_ bytes: [UInt8], file: String) throws -> CapturedFile {
        let first = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        if first == 0x7B || first == 0x5B {
            let root: JSON
            do { root = try JSON.parse(bytes) } catch let error as JSONScanner.Failure {
                throw Failure(file: file, line: error.line, reason: "invalid JSON: \(error.reason)")
            }
            return CapturedFile(kind: try kind(of: root, file: file), json: bytes, yaml: false)
        }
        guard let first else { throw Failure(file: file, line: 1, reason: "empty file") }
        // Envoy's text answers before YAML, which would read them as strings or mappings.
        if let kind = envoyText(bytes) { return CapturedFile(kind: kind, json: nil, yaml: false) }
        // Exposition text starts with a metric name or '#'; YAML config dumps with a key.
        if first == 0x23 || looksLikeExposition(bytes) { return CapturedFile(kind: .exposition, json: nil, yaml: false) }
        let text = String(decoding: bytes, as: UTF8.self)
        let document: Any?
        do { document = try Yams.load(yaml: text) } catch let error as YamlError {
            throw Failure(file: file, line: Self.line(of: error), reason: "neither JSON, YAML nor exposition text: \(error)")
        }
        guard let document, JSONSerialization.isValidJSONObject(document),
              let data = try? JSONSerialization.data(withJSONObject: document) else {
            throw Failure(file: file, line: 1, reason: "YAML that is not a meshtop input")
        }
        let converted = Array(data)
        return CapturedFile(kind: try kind(of: try JSON.parse(converted), file: file), json: converted, yaml: true)
    }

    /// Whether the first line with something on it reads as a Prometheus sample: a metric name,
    /// then a label set (blanks before `{` allowed), or blanks and a value. Blank lines before
    /// it are skipped, as the exposition parser skips them; a malformed label set still counts,
    /// so that the exposition parser names what is wrong rather than the YAML reader.
    static func looksLikeExposition(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0D || bytes[index] == 0x0A { index += 1 }
        guard index < bytes.count, LineScanner.isNameStart(bytes[index]) else { return false }
        while index < bytes.count, LineScanner.isNameByte(bytes[index]) { index += 1 }
        var next = index
        while next < bytes.count, bytes[next] == 0x20 || bytes[next] == 0x09 { next += 1 }
        guard next < bytes.count else { return false }
        if bytes[next] == 0x7B { return true } // '{'
        return next > index && bytes[next] != 0x0A && bytes[next] != 0x0D
    }

    /// Envoy's plain-text answers: `/ready`'s word, `/clusters`'s `::` lines, `/stats`'s
    /// `dotted.name: value` lines (its first lines are text readouts, also `name: "text"`).
    static func envoyText(_ bytes: [UInt8]) -> CapturedFileKind? {
        let lines = String(decoding: bytes.prefix(4096), as: UTF8.self).split(whereSeparator: \.isNewline).prefix(5).map(String.init)
        guard let first = lines.first?.trimmingCharacters(in: .whitespaces) else { return nil }
        if lines.count == 1, ["LIVE", "DRAINING", "PRE_INITIALIZING", "INITIALIZING"].contains(first) { return .ready }
        if first.contains("::"), !first.contains(" ") { return .clustersText }
        let statLine = { (line: String) -> Bool in
            guard let colon = line.range(of: ": ") else { return false }
            let name = line[..<colon.lowerBound]
            return name.contains(".") && !name.contains(" ") && !name.hasPrefix("-")
        }
        return lines.allSatisfy(statLine) ? .statsText : nil
    }

    static func kind(of root: JSON, file: String) throws -> CapturedFileKind {
        switch root {
        // `{}`: Envoy's answer to `?resource=X` when there is nothing to show.
        case let .object(members) where members.isEmpty:
            return .configDump
        case let .object(members):
            if case .array? = members["stats"] { return .statsJSON }
            if members["configs"] != nil || members["bootstrap"] != nil || (root["@type"]?.string ?? "").contains("ConfigDump") { return .configDump }
            if ZtunnelConfigDump.recognises(root) { return .ztunnelConfigDump }
            if members["certificates"] != nil { return .certs }
            if root["cluster_statuses"] != nil { return .clusters }
            if root["listener_statuses"] != nil { return .listeners }
            if members["version"] != nil, members["state"] != nil { return .serverInfo }
            if let first = members.values.first, first.members.values.first?["Shards"] != nil { return .endpointz }
        case let .array(items):
            guard let first = items.first else {
                throw Failure(file: file, line: 1, reason: "an empty JSON list: could be syncz, registryz or configz with nothing in it")
            }
            if first["proxy"] != nil || first["cluster_sent"] != nil || first["cluster_id"] != nil { return .syncz }
            if first["Attributes"] != nil, first["hostname"] != nil { return .registryz }
            if first["kind"] != nil, first["apiVersion"] != nil { return .configz }
        default:
            break
        }
        throw Failure(file: file, line: 1, reason: "JSON of an unrecognised shape (expected a config dump, a ztunnel config dump, /certs, /clusters, /listeners, /server_info, /stats, syncz, registryz, configz or endpointz)")
    }

    static func line(of error: YamlError) -> Int {
        switch error {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _): return mark.line
        default: return 1
        }
    }
}
