import Foundation
import MeshModel
import Synchronization

/// What meshtop asks of an Envoy's admin API (mesh-apis.md §2) and how each answer is decoded:
/// every poll the Istio request metrics (with the server state, from its gauge, else `/ready`);
/// SDS secrets (or `/certs`) and `/server_info` when the poller's schedule says they are due;
/// route and cluster sets when their acknowledged versions changed. Also the requests of the
/// operator actions.
public final class EnvoyAdminClient: ProxyAdminClient {
    let client: MeshClient
    let clock: @Sendable () -> Date
    /// One scanner for every proxy, so label strings are interned across proxies and polls; a
    /// scan is short and holds the lock only while it reads one body.
    private let scanner = Mutex(IstioStatsScanner())

    public init(client: MeshClient, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.clock = clock
    }

    public var servesConfigs: Bool { true }

    /// The admin paths read, with their query strings.
    public enum Paths {
        /// Prometheus text; a filter regex (`|`, `+`, `&` included) percent-encoded.
        public static func stats(filter: String?) -> String {
            filter.map { "/stats/prometheus?filter=\(QueryText.value($0))" } ?? "/stats/prometheus"
        }
        /// SDS secrets are a few KB (the chain and root as PEM); `/certs` lists every TLS context
        /// (hundreds of KB in a large mesh) and is read only without them.
        static let secrets = "/config_dump?resource=dynamic_active_secrets"
        static let certs = "/certs"
        static let serverInfo = "/server_info"
        /// pilot-agent's merged metrics (:15020): it takes no filter.
        static let agentStats = "/stats/prometheus"
        static let ready = "/ready"
        static let routes = "/config_dump?resource=dynamic_route_configs"
        static let clusters = "/config_dump?resource=dynamic_active_clusters&mask=cluster.name,cluster.type"
        /// A static Envoy's (and Istio's bootstrap) routes and clusters: read too, or a static
        /// Envoy's config is empty.
        static let staticRoutes = "/config_dump?resource=static_route_configs"
        static let staticClusters = "/config_dump?resource=static_clusters&mask=cluster.name,cluster.type"
        /// Every cluster with its endpoints and their health.
        static let clusterStatuses = "/clusters?format=json"
    }

    /// The request of an operator action (Envoy has all four).
    public static func actionRequest(_ kind: OperatorAction.Kind) -> ActionRequest? {
        switch kind {
        case let .setLogLevel(level): ActionRequest(.POST, "/logging?level=\(QueryText.value(level))")
        case .failHealthCheck: ActionRequest(.POST, "/healthcheck/fail")
        case .restoreHealthCheck: ActionRequest(.POST, "/healthcheck/ok")
        case .resetCounters: ActionRequest(.POST, "/reset_counters")
        }
    }

    public func observe(_ target: ScrapeTarget, plan: ObservationPlan) async -> ProxyReading {
        var reading = ProxyReading(ProxyObservation(target: target, at: clock()))
        reading.observation.configs = plan.cachedConfigs.documents
        reading.observation.routeTables = plan.cachedConfigs.routeTables
        reading.observation.clusterStatuses = plan.cachedConfigs.clusters
        do {
            try await read(target, plan: plan, into: &reading)
        } catch {
            reading.observation.errors.append(error)
        }
        return reading
    }

    private func read(_ target: ScrapeTarget, plan: ObservationPlan, into reading: inout ProxyReading) async throws(SourceError) {
        let source = "proxy \(target.proxyID)"
        if target.agentOnly { return try await readAgent(target, plan: plan, source, into: &reading) }
        // The server state from the stats' `server.state` gauge, when they carried it.
        var stateFromStats: String?
        var statsBody: [UInt8]?
        if plan.readTraffic {
            // Stamped when asked, as Prometheus stamps a scrape: the proxy counts up to about
            // then, and an answer that is slow to arrive (a loaded poller, a large body) would
            // otherwise shorten the time its increase is divided by.
            reading.observation.at = clock()
            let at = reading.observation.at
            let (request, stats) = try await client.read(target, Paths.stats(filter: plan.statsFilter), source, accept: "text/plain;version=0.0.4",
                                                         via: target.statsEndpoint, into: &reading.observation)
            do {
                let (counters, state) = try scanner.withLock { scanner in (try scanner.counters(at: at, body: stats.body), scanner.lastServerState) }
                reading.observation.counters = counters
                stateFromStats = state.flatMap(Self.serverStateName)
                statsBody = stats.body
            } catch {
                reading.observation.errors.append(request.failure(SourceError.decoding(error)))
            }
        }
        if let cached = plan.cachedDetails {
            reading.observation.secrets = cached.secrets
            reading.observation.certificates = cached.certificates
            reading.observation.servesOnlyStats = cached.servesOnlyStats
            var info = cached.serverInfo
            if let stateFromStats {
                info.state = stateFromStats
            } else if !cached.servesOnlyStats {
                info.state = try await readyState(target, source, into: &reading)
            }
            info.uptimeSeconds = info.uptimeSeconds.map { $0 + clock().timeIntervalSince(cached.readAt) }
            reading.observation.serverInfo = cached.servesOnlyStats && info.state.isEmpty ? nil : info
        } else {
            do {
                try await readDetails(target, source, into: &reading)
            } catch where statsBody != nil && Self.servesOnlyStats(error) {
                // Istio's :15090 listener (or any port in front of `/stats/prometheus` alone):
                // the stats are this proxy's whole story, its state from their gauge.
                reading.observation.servesOnlyStats = true
                reading.observation.serverInfo = stateFromStats.map { ServerInfo(version: "", state: $0) }
                reading.freshDetails = ProxyDetails(readAt: clock(), secrets: [], certificates: [],
                                                    serverInfo: ServerInfo(version: "", state: ""), servesOnlyStats: true)
            }
        }
        if plan.readConfigs, !reading.observation.servesOnlyStats {
            try await readConfigs(target, source, into: &reading)
            reading.freshConfigs = true
        }
        if let statsBody { readEnvoyTraffic(statsBody, target: target, into: &reading.observation) }
    }

    /// Certificates (SDS secrets, else `/certs`) and `/server_info`.
    private func readDetails(_ target: ScrapeTarget, _ source: String, into reading: inout ProxyReading) async throws(SourceError) {
        let (secretsRequest, secrets) = try await client.read(target, Paths.secrets, source, into: &reading.observation)
        reading.observation.secrets = try SourceError.decode(secretsRequest.failureSource) { try ConfigDumpDecoder.decode(secrets.body).secrets }
        if !reading.observation.secrets.contains(where: { $0.certificatePEM != nil && !$0.warming }) {
            let (certsRequest, certs) = try await client.read(target, Paths.certs, source, into: &reading.observation)
            reading.observation.certificates = try SourceError.decode(certsRequest.failureSource) { try EnvoyFormats.certs(certs.body) }
        }
        let (infoRequest, info) = try await client.read(target, Paths.serverInfo, source, into: &reading.observation)
        let serverInfo = try SourceError.decode(infoRequest.failureSource) { try EnvoyFormats.serverInfo(info.body) }
        reading.observation.serverInfo = serverInfo
        reading.freshDetails = ProxyDetails(readAt: clock(), secrets: reading.observation.secrets,
                                            certificates: reading.observation.certificates, serverInfo: serverInfo)
    }

    /// A 404 with an empty body, Istio's :15090 listener's answer to every path but `/stats/prometheus`.
    static func servesOnlyStats(_ error: SourceError) -> Bool {
        if case let .httpStatus(404, body) = error.reason { return body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        return false
    }

    /// An Envoy without Istio (no `ISTIO_VERSION` in its node, no `istio_requests_total`): its
    /// traffic from Envoy's own cluster and HTTP statistics in the same body, and its kind —
    /// plain Envoy, or the flavour its target names or its cluster names show.
    private func readEnvoyTraffic(_ body: [UInt8], target: ScrapeTarget, into observation: inout ProxyObservation) {
        guard observation.serverInfo?.istioVersion == nil, observation.counters?.requests.isEmpty ?? true, target.kind.isEnvoy else { return }
        guard let exposition = try? ExpositionParser.parse(body, format: .prometheus) else { return }
        let naming = target.kind != .istioEnvoy ? target.kind : EnvoyTraffic.flavour(exposition) ?? .istioEnvoy
        let kind = naming == .istioEnvoy ? MeshKind.envoy : naming
        // Only what the stats show: an Istio sidecar on :15090 whose request metrics are idle
        // stays Istio until its Envoy statistics (or its server info) say otherwise.
        let counters = EnvoyTraffic.counters(exposition, at: observation.at, target: target, flavour: naming,
                                             knownClusters: observation.clusterStatuses.map(\.name))
        if !counters.requests.isEmpty || observation.serverInfo != nil {
            observation.detectedKind = kind
            if !counters.requests.isEmpty { observation.counters = counters }
        }
    }

    /// pilot-agent's merged scrape (:15020 through the pod proxy): the request metrics and the
    /// server state as from Envoy, and the workload certificate's expiry from
    /// `istio_agent_cert_expiry_seconds` — its serial, SANs and issuer stay unknown.
    private func readAgent(_ target: ScrapeTarget, plan: ObservationPlan, _ source: String, into reading: inout ProxyReading) async throws(SourceError) {
        reading.observation.at = clock()
        let at = reading.observation.at
        let (request, merged) = try await client.read(target, Paths.agentStats, source, accept: "text/plain;version=0.0.4", into: &reading.observation)
        let body = AgentMetrics.withoutRepeatedMetadata(merged.body)
        do {
            let (counters, state) = try scanner.withLock { scanner in (try scanner.counters(at: at, body: body), scanner.lastServerState) }
            reading.observation.counters = plan.readTraffic ? counters : nil
            if let state = state.flatMap(Self.serverStateName) {
                let version = AgentMetrics.istioVersion(body)
                reading.observation.serverInfo = ServerInfo(version: version ?? "", state: state, istioVersion: version)
            }
        } catch {
            reading.observation.errors.append(request.failure(SourceError.decoding(error)))
        }
        if let seconds = AgentMetrics.certificateExpirySeconds(body) {
            reading.observation.certificates = [CertificateDetail(serial: "", sans: [], validFrom: nil, expiration: at.addingTimeInterval(seconds), isCA: false)]
        }
    }

    /// `/ready` answers the server state in a word (LIVE 200; DRAINING and others 503).
    private func readyState(_ target: ScrapeTarget, _ source: String, into reading: inout ProxyReading) async throws(SourceError) -> String {
        let (request, ready) = try await client.read(target, Paths.ready, source, alsoAccept: [503], into: &reading.observation)
        let state = String(decoding: ready.body.prefix(64), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        // Envoy answers one upper-case word; anything else is not Envoy's answer.
        guard state.count <= 32, state.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || $0 == "_" }) else {
            throw request.failure(.unexpectedAnswer("not a server state (expected a word like LIVE, got \(ready.body.count) bytes)"))
        }
        return state.isEmpty ? (ready.status == 200 ? "LIVE" : "NOT READY") : state
    }

    /// The proxy's route configurations and cluster set, dynamic and static (a static Envoy has
    /// only the latter): documents for the history, the route tables, and `/clusters` for every
    /// cluster's endpoints and their health. A resource Envoy has none of answers `{}`.
    private func readConfigs(_ target: ScrapeTarget, _ source: String, into reading: inout ProxyReading) async throws(SourceError) {
        var routeBodies: [[UInt8]] = [], routeTables: [ConfigDump.RouteConfig] = [], clusters = ConfigDump()
        for path in [Paths.routes, Paths.staticRoutes] {
            let (request, answer) = try await client.read(target, path, source, into: &reading.observation)
            routeTables += try SourceError.decode(request.failureSource) { try ConfigDumpDecoder.decode(answer.body).routeConfigs }
            routeBodies.append(answer.body)
        }
        for path in [Paths.clusters, Paths.staticClusters] {
            let (request, answer) = try await client.read(target, path, source, into: &reading.observation)
            clusters.clusters += try SourceError.decode(request.failureSource) { try ConfigDumpDecoder.decode(answer.body).clusters }
        }
        let (statusRequest, statuses) = try await client.read(target, Paths.clusterStatuses, source, into: &reading.observation)
        reading.observation.clusterStatuses = try SourceError.decode(statusRequest.failureSource) { try EnvoyFormats.clusterStatuses(statuses.body) }
        reading.observation.routeTables = routeTables
        let (namespace, pod) = (target.namespace, target.pod)
        reading.observation.configs = [
            try SourceError.decode("\(source) route configurations") { try ConfigText.proxyRoutes(routeBodies, namespace: namespace, pod: pod) },
            ConfigText.proxyClusters(clusters, namespace: namespace, pod: pod),
        ]
    }

    /// Envoy's `server.state` gauge as `/ready` words it; nil for a value Envoy does not define.
    static func serverStateName(_ value: Double) -> String? {
        switch value {
        case 0: "LIVE"
        case 1: "DRAINING"
        case 2: "PRE_INITIALIZING"
        case 3: "INITIALIZING"
        default: nil
        }
    }
}

/// Query-string values, percent-encoded (a regex's `|`, `+` or `&` would otherwise be read as
/// part of the URL).
public enum QueryText {
    /// A path without its query (`/logging?level=debug` → `/logging`), as policies compare paths.
    public static func barePath(_ path: String) -> String { String(path.split(separator: "?", maxSplits: 1).first ?? "") }

    /// A query value percent-encoded (a continue token, a selector).
    public static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
    }

    public static func value(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? text
    }
}
