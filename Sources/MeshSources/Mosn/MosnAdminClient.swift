import Foundation
import MeshModel

/// What meshtop asks of a SOFAMosn admin API (`:34901`, mesh-apis.md §6): `/api/v1/stats`
/// (upstream cluster counters), `/api/v1/version` and `/api/v1/states` every poll, and the config
/// dump's routers and clusters on the same schedule as an Envoy's configs; the log level, set
/// logger by logger, as its one operator action.
public struct MosnAdminClient: ProxyAdminClient {
    let client: MeshClient
    let clock: @Sendable () -> Date

    public init(client: MeshClient, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.clock = clock
    }

    public var servesConfigs: Bool { true }

    /// Where MOSN lists its loggers (a JSON object, logger path → level).
    static let loggersPath = "/api/v1/get_loglevel"

    /// `POST /api/v1/update_loglevel` for the logger at `logger`: MOSN changes one logger per
    /// request. It has no drain or counter reset.
    public static func actionRequest(_ kind: OperatorAction.Kind, logger: String) -> ActionRequest? {
        guard case let .setLogLevel(level) = kind else { return nil }
        // Envoy's names (what the console offers) in MOSN's vocabulary.
        let mosnLevel = (["warning": "WARN", "critical": "FATAL", "off": "FATAL"][level] ?? level).uppercased()
        let path = logger.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return ActionRequest(.POST, "/api/v1/update_loglevel", body: "{\"log_path\": \"\(path)\", \"log_level\": \"\(mosnLevel)\"}",
                             contentType: "application/json")
    }

    /// The logger paths the MOSN at `endpoint` reports.
    func loggers(_ endpoint: MeshEndpoint, source: String) async throws(SourceError) -> [String] {
        let request = MeshRequest(.GET, endpoint, Self.loggersPath, source: source)
        let response = try await client.send(request)
        let tree = try SourceError.decode(request.failureSource) { try JSON.parse(response.body) }
        guard case let .object(loggers) = tree, !loggers.isEmpty else { throw request.failure(.unexpectedAnswer("no loggers listed")) }
        return loggers.keys.sorted()
    }

    public func observe(_ target: ScrapeTarget, plan: ObservationPlan) async -> ProxyReading {
        var observation = ProxyObservation(target: target, at: clock())
        let source = "mosn \(target.proxyID)"
        observation.configs = plan.cachedConfigs.documents
        var freshConfigs = false
        do throws(SourceError) {
            observation.at = clock() // stamped when asked, as for Envoy
            let (request, stats) = try await client.read(target, "/api/v1/stats", source, into: &observation)
            let counters = try SourceError.decode(request.failureSource) { try MosnFormats.stats(stats.body) }
            observation.counters = MosnTraffic.counters(at: observation.at, stats: counters, target: target)
            let (_, version) = try await client.read(target, "/api/v1/version", source, into: &observation)
            let (_, states) = try await client.read(target, "/api/v1/states", source, into: &observation)
            let state = MosnFormats.state(states.body) ?? "unknown"
            let mosnVersion = MosnFormats.version(version.body) ?? "unknown"
            observation.serverInfo = ServerInfo(version: mosnVersion, envoyVersion: mosnVersion, state: state == "Running" ? "LIVE" : state)
            if plan.readConfigs {
                let (dumpRequest, dump) = try await client.read(target, "/api/v1/config_dump", source, into: &observation)
                observation.configs = try SourceError.decode(dumpRequest.failureSource) {
                    try MosnFormats.configDocuments(dump.body, namespace: target.labels["namespace"] ?? "", pod: target.labels["pod"] ?? target.proxyID)
                }
                freshConfigs = true
            }
        } catch {
            observation.errors.append(error)
        }
        var reading = ProxyReading(observation)
        reading.freshConfigs = freshConfigs
        return reading
    }
}
