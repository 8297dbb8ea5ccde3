import Foundation
import MeshModel

/// What meshtop asks of a Linkerd proxy's admin API (`:4191`, mesh-apis.md §5): `/metrics`
/// (request counters, build version, identity certificate expiry) and `/ready`, every poll; the
/// log level as its one operator action.
public struct LinkerdAdminClient: ProxyAdminClient {
    let client: MeshClient
    let clock: @Sendable () -> Date

    public init(client: MeshClient, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.clock = clock
    }

    /// Linkerd's admin API serves no route or cluster configuration.
    public var servesConfigs: Bool { false }

    /// `PUT /proxy-log-level` with a tracing filter; Linkerd has no drain or counter reset.
    public static func actionRequest(_ kind: OperatorAction.Kind) -> ActionRequest? {
        guard case let .setLogLevel(level) = kind else { return nil }
        // Envoy's names (what the console offers) in Linkerd's vocabulary.
        let linkerdLevel = ["warning": "warn", "critical": "error"][level] ?? level
        return ActionRequest(.PUT, "/proxy-log-level", body: "\(linkerdLevel),linkerd=\(linkerdLevel)", contentType: "text/plain")
    }

    public func observe(_ target: ScrapeTarget, plan: ObservationPlan) async -> ProxyReading {
        var observation = ProxyObservation(target: target, at: clock())
        let source = "linkerd proxy \(target.proxyID)"
        do throws(SourceError) {
            observation.at = clock() // stamped when asked, as for Envoy
            let (request, metrics) = try await client.read(target, "/metrics", source, accept: "text/plain;version=0.0.4", into: &observation)
            let exposition = try SourceError.decode(request.failureSource) { try ExpositionParser.parse(metrics.body, format: .prometheus) }
            observation.counters = LinkerdTraffic.counters(at: observation.at, exposition: exposition, target: target)
            observation.certificates = LinkerdTraffic.certificate(exposition, proxyID: target.proxyID).map { [$0] } ?? []
            let version = LinkerdTraffic.version(exposition) ?? "unknown"
            // /ready answers 503 until the proxy can serve: that is a state, not a failure to poll.
            let (_, ready) = try await client.read(target, "/ready", source, alsoAccept: [503], into: &observation)
            observation.serverInfo = ServerInfo(version: version, envoyVersion: version, state: ready.status == 200 ? "LIVE" : "NOT READY")
        } catch {
            observation.errors.append(error)
        }
        return ProxyReading(observation)
    }
}
