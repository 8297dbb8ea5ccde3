import Foundation
import MeshModel
import MeshSources

/// Schedules the sources of one poll: istiod replicas, Prometheus, then every proxy target
/// through the admin client of its kind, with bounded concurrency and each target's schedule
/// (backoff after failures, when its details and configs are due). A poll that would overlap a
/// running one is dropped (returns nil). Never throws: failures become source statuses, and a
/// failing proxy's last good observation stays in the round.
///
/// Which paths are asked and how answers are decoded is the sources' (MeshSources); how
/// requests travel is the transport's.
public actor MeshPoller {
    public let options: PollerOptions
    /// istiod and the proxies: the session's transport, read-only (operator actions reach the
    /// same transport through a client with the session's own policy).
    public nonisolated let client: MeshClient
    let istiod: IstiodClient
    let envoy: EnvoyAdminClient
    let linkerd: LinkerdAdminClient
    let mosn: MosnAdminClient
    let ztunnel: ZtunnelAdminClient
    /// Prometheus, when it is the source of Istio traffic (also read for TREND history when
    /// there is no local store), and what it answered last.
    public nonisolated let prometheus: PrometheusSource?
    /// Prometheus has a transport of its own to shut down (not one found in the cluster).
    let ownsPrometheusClient: Bool
    private var lastPrometheus: (at: Date, round: PrometheusRound)?
    private var polling = false
    /// Per target URL: its schedule and what it last said.
    private var targets: [String: TargetState] = [:]

    /// What one due target is asked this poll, and the config version a config read is for.
    struct TargetPlan {
        var observation = ObservationPlan()
        var configVersion: String?
    }

    /// What the poller keeps of one target between polls.
    struct TargetState {
        var schedule = TargetSchedule()
        /// The last observation that read everything, without its counters: the deriver keeps
        /// every proxy's newest counters (packed) and reads them for a proxy that failed; a
        /// second, unpacked copy here was ~23 KB per proxy, 115 MB at 5,000 (`meshtop-bench poll`).
        var lastGood: ProxyObservation?
        var details: ProxyDetails?
        var configs = ProxyConfigs()
    }

    /// Polls over direct HTTP with the options' deadline, body cap, token and CA files. Both CA
    /// files are loaded before any client exists, so a bad one leaves nothing to shut down.
    public init(options: PollerOptions) throws(SourceError) {
        let tls = try DirectHTTPTransport.tls(caFile: options.caFile)
        let prometheusTLS = try DirectHTTPTransport.tls(caFile: options.prometheusCAFile)
        let transport = DirectHTTPTransport(timeout: options.timeout, bodyLimit: options.bodyLimit, credential: options.bearerToken, tls: tls)
        var prometheus: MeshClient?
        if options.prometheusURL != nil {
            prometheus = MeshClient(transport: DirectHTTPTransport(timeout: options.timeout, bodyLimit: options.bodyLimit,
                                                                   credential: options.prometheusToken, tls: prometheusTLS), policy: .readOnly)
        }
        self.init(options: options, client: MeshClient(transport: transport, policy: .readOnly), prometheusClient: prometheus)
    }

    /// Polls through `client`'s transport (and Prometheus through `prometheusClient`'s, when
    /// the options name one), read-only whatever their policy: polling only reads.
    public init(options: PollerOptions, client: MeshClient, prometheusClient: MeshClient? = nil) {
        self.options = options
        let client = client.restricted(to: .readOnly)
        self.client = client
        istiod = IstiodClient(client: client)
        envoy = EnvoyAdminClient(client: client, clock: options.clock)
        linkerd = LinkerdAdminClient(client: client, clock: options.clock)
        mosn = MosnAdminClient(client: client, clock: options.clock)
        ztunnel = ZtunnelAdminClient(client: client, clock: options.clock)
        ownsPrometheusClient = options.prometheusURL != nil && prometheusClient != nil
        if let url = options.prometheusURL, let prometheusClient {
            prometheus = PrometheusSource(baseURL: url, client: prometheusClient.restricted(to: .readOnly))
        } else if let endpoint = options.prometheusEndpoint {
            prometheus = PrometheusSource(endpoint: endpoint, client: client)
        } else {
            prometheus = nil
        }
    }

    public func shutdown() async {
        await client.shutdown()
        if ownsPrometheusClient { await prometheus?.client.shutdown() }
    }

    public func poll() async -> PollRound? {
        guard !polling else { return nil }
        polling = true
        defer { polling = false }
        var round = PollRound(at: options.clock())
        let inventory = await options.inventory?.snapshot() ?? InventorySnapshot()
        round.sources += inventory.sources
        round.access = inventory.access
        for base in options.istiodURLs { await istiod.read(base, into: &round) }
        for endpoint in inventory.istiods { await istiod.read(endpoint, into: &round) }
        if round.configs.isEmpty { round.configs = inventory.configs }
        if let prometheus { await pollPrometheus(prometheus, into: &round) }
        let targets = TargetDiscovery.targets(round, listed: options.targets + inventory.targets, template: options.adminTemplate)
        let now = options.clock()
        let due = targets.filter { self.targets[$0.url]?.schedule.isDue(at: now) ?? true }
        let plans = plan(due, round: round, now: now)
        let readings = await withTaskGroup(of: ProxyReading.self) { group -> [ProxyReading] in
            var results: [ProxyReading] = []
            var iterator = due.makeIterator()
            func start(_ target: ScrapeTarget) {
                let client = adminClient(target.kind), plan = plans[target.url]?.observation ?? ObservationPlan()
                group.addTask { await client.observe(target, plan: plan) }
            }
            for _ in 0..<min(options.concurrency, due.count) { if let target = iterator.next() { start(target) } }
            while let reading = await group.next() {
                results.append(reading)
                if let target = iterator.next() { start(target) }
            }
            return results
        }
        for reading in readings { record(reading, plan: plans[reading.observation.target.url], into: &round) }
        let dueURLs = Set(due.map(\.url))
        for target in targets where !dueURLs.contains(target.url) {
            let state = self.targets[target.url]
            let count = state?.schedule.consecutiveFailures ?? 0
            // The last error stays in view while the target waits for its retry.
            round.sources.append(SourceStatus(name: "proxy \(target.proxyID)", url: SecretRedaction.url(target.url), ok: false,
                                              error: "\(state?.schedule.lastError?.description ?? "failed") (retrying after \(count) failure\(count == 1 ? "" : "s"))",
                                              lastSuccess: state?.lastGood?.at))
            var kept = state?.lastGood ?? ProxyObservation(target: target, at: now)
            kept.unanswered = true
            round.proxies[target.proxyID] = kept
        }
        return round
    }

    func adminClient(_ kind: MeshKind) -> any ProxyAdminClient {
        switch kind {
        case .linkerd: linkerd
        case .mosn: mosn
        case .ztunnel: ztunnel
        case .istioEnvoy, .istioPrometheus, .istiod, .envoy, .kuma, .consul, .envoyGateway: envoy
        }
    }

    /// What to read of each due target: its details when due (else the cached ones), its
    /// configs when their version changed (at most `configFetchesPerPoll` per poll).
    func plan(_ due: [ScrapeTarget], round: PollRound, now: Date) -> [String: TargetPlan] {
        let syncz = Dictionary(round.syncz.map { ($0.proxyID, $0) }, uniquingKeysWith: { a, _ in a })
        var plans: [String: TargetPlan] = [:]
        var configReads = 0
        for target in due {
            let state = targets[target.url] ?? TargetState()
            var plan = TargetPlan()
            plan.observation.readTraffic = target.kind != .istioEnvoy || prometheus == nil
            plan.observation.statsFilter = options.statsFilter
            plan.observation.cachedDetails = state.schedule.detailsDue(at: now) ? nil : state.details
            plan.observation.cachedConfigs = state.configs
            if options.proxyConfigs, configReads < options.configFetchesPerPoll, adminClient(target.kind).servesConfigs,
               let version = state.schedule.configDue(acknowledged: syncz[target.proxyID].map(Self.acknowledgedVersion), at: now,
                                                      refresh: options.configRefresh) {
                plan.observation.readConfigs = true
                plan.configVersion = version
                configReads += 1
            }
            plans[target.url] = plan
        }
        return plans
    }

    /// The acknowledged CDS and RDS nonces: a change means new route or cluster config.
    static func acknowledgedVersion(_ row: SynczEntry) -> String {
        "\(row.types[.cds]?.acked ?? "")|\(row.types[.rds]?.acked ?? "")"
    }

    /// Files one proxy's reading into the round and moves its schedule.
    private func record(_ reading: ProxyReading, plan: TargetPlan?, into round: inout PollRound) {
        let observation = reading.observation, url = observation.target.url
        var state = targets[url] ?? TargetState()
        let now = options.clock()
        // What was read afresh is kept even when a later request of the same read failed.
        if let details = reading.freshDetails {
            state.details = details
            state.schedule.detailsRead(at: details.readAt, refresh: options.certsRefresh, spread: Double.random(in: 0.5...1))
        }
        if reading.freshConfigs, let version = plan?.configVersion {
            state.configs = ProxyConfigs(documents: observation.configs, routeTables: observation.routeTables, clusters: observation.clusterStatuses)
            state.schedule.configsRead(version: version, at: now)
        }
        if let error = observation.errors.first {
            state.schedule.failed(error, at: now, backoff: TargetSchedule.Backoff(base: options.backoffBase, ceiling: options.backoffMax),
                                  jitter: Double.random(in: 0.5...1.5))
            // Keep what the proxy said last time (its rows show their age), never lose it; a
            // proxy never read yet is still listed. Either way its present state is unknown.
            var kept = state.lastGood ?? ProxyObservation(target: observation.target, at: observation.at)
            kept.unanswered = true
            round.proxies[observation.target.proxyID] = kept
        } else {
            state.schedule.succeeded(at: observation.at)
            var kept = observation
            kept.counters = nil
            state.lastGood = kept
            round.proxies[observation.target.proxyID] = observation
        }
        round.sources.append(SourceStatus(name: "proxy \(observation.target.proxyID)", url: SecretRedaction.url(url), ok: observation.errors.isEmpty,
                                          error: observation.errors.first?.description, latencyMs: observation.latencyMs,
                                          lastSuccess: state.schedule.lastSuccess))
        targets[url] = state
    }

    /// Istio traffic from Prometheus; on failure the last answer stays (its source row shows the
    /// error and the age of the data).
    private func pollPrometheus(_ source: PrometheusSource, into round: inout PollRound) async {
        let start = options.clock()
        do throws(SourceError) {
            let answer = try await source.read(displayWindow: options.rateWindow, healthWindow: options.healthWindow, at: round.at)
            lastPrometheus = (round.at, answer)
            round.prometheus = answer
            round.sources.append(SourceStatus(name: PrometheusSource.sourceName, url: SecretRedaction.url(source.baseURL), ok: true,
                                              latencyMs: options.clock().timeIntervalSince(start) * 1000, lastSuccess: round.at))
        } catch {
            round.prometheus = lastPrometheus?.round
            round.sources.append(SourceStatus(name: PrometheusSource.sourceName, url: SecretRedaction.url(source.baseURL), ok: false, error: error.description,
                                              lastSuccess: lastPrometheus?.at))
        }
    }
}
