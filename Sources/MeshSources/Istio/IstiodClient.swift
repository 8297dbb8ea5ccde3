import Foundation
import MeshModel

/// What meshtop asks of istiod's debug API (mesh-apis.md §1): syncz, registryz, configz and
/// endpointz, and `/version`, with the session's bearer token; decoded into the poll round.
public struct IstiodClient: Sendable {
    let client: MeshClient

    public init(client: MeshClient) { self.client = client }

    /// The source's name in statuses and errors.
    public static let sourceName = "istiod"

    static let paths = ["/debug/syncz", "/debug/registryz", "/debug/configz", "/debug/endpointz", "/version"]

    /// Reads one replica at `base` into `round`: its syncz rows are merged with the other
    /// replicas'; registry, config and endpoints come from the first replica that answers.
    public func read(_ base: String, into round: inout PollRound) async {
        await read(.url(base), into: &round)
    }

    /// Reads one replica reached at `endpoint` (a URL, or a port-forward to its pod's :15014).
    public func read(_ endpoint: MeshEndpoint, into round: inout PollRound) async {
        let base = endpoint.description
        var latency = 0.0
        var errors: [SourceError] = []
        var bodies: [String: [UInt8]] = [:]
        for path in Self.paths {
            do throws(SourceError) {
                let response = try await client.send(MeshRequest(.GET, endpoint, path, source: Self.sourceName, authenticate: true))
                latency = max(latency, response.latencyMs)
                bodies[path] = response.body
            } catch {
                errors.append(error)
                // istiod is down or hanging: the other paths would fail the same way, one
                // deadline each. Say so once and keep the poll short.
                if error.reason.isUnreachable { break }
            }
        }
        func decode<T>(_ path: String, _ parse: ([UInt8]) throws -> T) -> T? {
            guard let body = bodies[path] else { return nil }
            do { return try SourceError.decode("\(Self.sourceName) \(base)\(path)") { try parse(body) } } catch {
                errors.append(error)
                return nil
            }
        }
        if let rows = decode("/debug/syncz", IstiodFormats.syncz) { round.mergeSyncz(rows, replica: base) }
        if round.registry.isEmpty, let services = decode("/debug/registryz", IstiodFormats.registryz) { round.registry = services }
        if round.configs.isEmpty, let configs = decode("/debug/configz", IstiodFormats.configz) { round.configs = configs }
        if round.endpoints.isEmpty, let endpoints = decode("/debug/endpointz", IstiodFormats.endpointz) { round.endpoints = endpoints }
        if let version = decode("/version", { IstiodFormats.version(String(decoding: $0, as: UTF8.self)) }) {
            round.istiodVersions[base] = version
        }
        round.sources.append(SourceStatus(name: Self.sourceName, url: base, ok: errors.isEmpty, error: errors.first?.description,
                                          latencyMs: latency, lastSuccess: errors.isEmpty ? round.at : nil))
    }
}
