import Foundation
import MeshModel
import MeshSources

/// Polls istiod replicas and proxy admin APIs with bounded concurrency, per-request deadlines,
/// a body cap and exponential backoff with jitter for failing targets. A poll that would overlap
/// a running one is dropped (returns nil). Never throws: failures become source statuses.
public actor MeshPoller {
    public let options: PollerOptions
    /// Istio request metrics from Envoy stats, with label strings interned across polls.
    private var statsScanner = IstioStatsScanner()
    let fetcher: HTTPFetcher
    /// Prometheus, when it is the source of Istio traffic (also read for TREND history when
    /// there is no local store), and what it answered last.
    public nonisolated let prometheus: PrometheusSource?
    private var lastPrometheus: (at: Date, round: PrometheusRound)?
    private var polling = false
    private var failures: [String: (count: Int, retryAt: Date, error: String)] = [:]
    private var lastGood: [String: ProxyObservation] = [:]
    /// Per target: SDS secrets (or, for an Envoy without them, `/certs`) and `/server_info`, and
    /// when they were read — re-read within `certsRefresh`, since certificates change on rotation
    /// and versions on restart; the server state is read every poll, from the stats' `server.state`
    /// gauge or else from `/ready`.
    /// Each entry is due between half and all of `certsRefresh` after its read, at random: every
    /// proxy is read in the first poll, and without the spread they all came due in the same
    /// later poll (at 5,000 proxies that poll took 27 s instead of 7).
    private var slowCache: [String: (readAt: Date, dueAfter: Double, secrets: [ConfigDump.Secret], certificates: [CertificateDetail], info: ServerInfo)] = [:]
    /// Route and cluster sets per target, with the acknowledged CDS/RDS nonces they were read at.
    private var configCache: [String: (version: String, readAt: Date, documents: [ConfigDocument])] = [:]

    public init(options: PollerOptions) throws {
        self.options = options
        fetcher = try HTTPFetcher(timeout: options.timeout, bodyLimit: options.bodyLimit, bearerToken: options.bearerToken,
                                  caFile: options.caFile)
        prometheus = try options.prometheusURL.map { url in
            PrometheusSource(baseURL: url, fetcher: try HTTPFetcher(timeout: options.timeout, bodyLimit: options.bodyLimit,
                                                                    bearerToken: options.prometheusToken, caFile: options.prometheusCAFile))
        }
    }

    public func shutdown() async {
        await fetcher.shutdown()
        await prometheus?.fetcher.shutdown()
    }

    public func poll() async -> PollRound? {
        guard !polling else { return nil }
        polling = true
        defer { polling = false }
        var round = PollRound(at: options.clock())
        for istiod in options.istiodURLs { await pollIstiod(istiod, into: &round) }
        if let prometheus { await pollPrometheus(prometheus, into: &round) }
        let targets = discoverTargets(round)
        let now = options.clock()
        let due = targets.filter { (failures[$0.url]?.retryAt ?? .distantPast) <= now }
        let configVersions = configsDue(due, round: round, now: now)
        let observations = await withTaskGroup(of: ProxyObservation.self) { group -> [ProxyObservation] in
            var results: [ProxyObservation] = []
            var iterator = due.makeIterator()
            for _ in 0..<min(options.concurrency, due.count) {
                if let target = iterator.next() { group.addTask { await self.observe(target, configVersion: configVersions[target.url]) } }
            }
            while let observation = await group.next() {
                results.append(observation)
                if let target = iterator.next() { group.addTask { await self.observe(target, configVersion: configVersions[target.url]) } }
            }
            return results
        }
        for observation in observations {
            let ok = observation.errors.isEmpty
            round.sources.append(SourceStatus(name: "proxy \(observation.target.proxyID)", url: SecretRedaction.url(observation.target.url), ok: ok,
                                              error: observation.errors.first, latencyMs: observation.latencyMs,
                                              lastSuccess: ok ? observation.at : lastGood[observation.target.url]?.at))
            if ok {
                failures[observation.target.url] = nil
                // Without its counters: the deriver keeps every proxy's newest counters (packed)
                // and reads them for a proxy that failed; a second, unpacked copy here was ~23 KB
                // per proxy, 115 MB at 5,000 (`meshtop-bench poll`).
                var kept = observation
                kept.counters = nil
                lastGood[observation.target.url] = kept
                round.proxies[observation.target.proxyID] = observation
            } else {
                let count = (failures[observation.target.url]?.count ?? 0) + 1
                let delay = min(options.backoffMax, options.backoffBase * pow(2, Double(count - 1))) * Double.random(in: 0.5...1.5)
                failures[observation.target.url] = (count, options.clock().addingTimeInterval(delay), observation.errors.first ?? "failed")
                // Keep what the proxy said last time (its rows show their age), never lose it.
                if let previous = lastGood[observation.target.url] { round.proxies[observation.target.proxyID] = previous }
            }
        }
        let dueURLs = Set(due.map(\.url))
        for target in targets where !dueURLs.contains(target.url) {
            let failure = failures[target.url]
            let count = failure?.count ?? 0
            // The last error stays in view while the target waits for its retry.
            round.sources.append(SourceStatus(name: "proxy \(target.proxyID)", url: SecretRedaction.url(target.url), ok: false,
                                              error: "\(failure?.error ?? "failed") (retrying after \(count) failure\(count == 1 ? "" : "s"))",
                                              lastSuccess: lastGood[target.url]?.at))
            if let previous = lastGood[target.url] { round.proxies[target.proxyID] = previous }
        }
        return round
    }

    func discoverTargets(_ round: PollRound) -> [ScrapeTarget] { Self.discover(round, options: options) }

    /// Targets whose route and cluster sets should be re-read this poll, with the version key to
    /// remember: the acknowledged CDS and RDS nonces from syncz (a change means new config), or,
    /// for proxies istiod does not report, the time of the last read. Bounded per poll.
    func configsDue(_ targets: [ScrapeTarget], round: PollRound, now: Date) -> [String: String] {
        guard options.proxyConfigs else { return [:] }
        let syncz = Dictionary(round.syncz.map { ($0.proxyID, $0) }, uniquingKeysWith: { a, _ in a })
        var due: [String: String] = [:]
        for target in targets where due.count < options.configFetchesPerPoll && target.kind != "linkerd" {
            let cached = configCache[target.url]
            if let row = syncz[target.proxyID] {
                let version = "\(row.types[.cds]?.acked ?? "")|\(row.types[.rds]?.acked ?? "")"
                if cached?.version != version { due[target.url] = version }
            } else if cached.map({ now.timeIntervalSince($0.readAt) >= options.configRefresh }) ?? true {
                due[target.url] = "read \(now.timeIntervalSince1970)"
            }
        }
        return due
    }

    /// Targets from the targets file plus, with an admin template, every proxy istiod knows.
    static func discover(_ round: PollRound, options: PollerOptions) -> [ScrapeTarget] {
        var targets = options.targets
        guard let template = options.adminTemplate else { return targets }
        let known = Set(targets.map(\.proxyID))
        // Pod IPs come from endpointz, matched to pods by workload name prefix in order.
        var ipsByWorkload: [String: [String]] = [:]
        for endpoint in round.endpoints { ipsByWorkload["\(endpoint.namespace)/\(endpoint.workload ?? "")", default: []].append(endpoint.address) }
        for row in round.syncz where !known.contains(row.proxyID) {
            let parts = row.proxyID.split(separator: ".", maxSplits: 1).map(String.init)
            let pod = parts.first ?? row.proxyID, namespace = parts.count > 1 ? parts[1] : ""
            let workloadKey = ipsByWorkload.keys.filter { key in
                let workload = key.split(separator: "/").last.map(String.init) ?? ""
                return key.hasPrefix(namespace + "/") && !workload.isEmpty && pod.hasPrefix(workload + "-")
            }.max { $0.count < $1.count }
            var ip = ""
            if let key = workloadKey, var ips = ipsByWorkload[key], !ips.isEmpty {
                ip = ips.removeFirst()
                ipsByWorkload[key] = ips
            }
            if template.contains("{ip}"), ip.isEmpty { continue }
            let url = template.replacingOccurrences(of: "{ip}", with: ip).replacingOccurrences(of: "{pod}", with: pod)
                .replacingOccurrences(of: "{namespace}", with: namespace)
            targets.append(ScrapeTarget(url: url, labels: ["proxy": row.proxyID, "namespace": namespace, "pod": pod]))
        }
        return targets
    }

    private func pollIstiod(_ base: String, into round: inout PollRound) async {
        var latency = 0.0
        var errors: [String] = []
        var bodies: [String: [UInt8]] = [:]
        for path in ["/debug/syncz", "/debug/registryz", "/debug/configz", "/debug/endpointz", "/version"] {
            do {
                let response = try await fetcher.get(base + path, source: "istiod", authenticate: true)
                latency = max(latency, response.latency)
                bodies[path] = response.body
            } catch {
                errors.append("\(error)")
                // istiod is down or hanging: the other paths would fail the same way, one
                // deadline each. Say so once and keep the poll short.
                if let error = error as? SourceError, error.reason == "timed out" || error.reason == "connection refused" { break }
            }
        }
        func decode<T>(_ path: String, _ parse: ([UInt8]) throws -> T) -> T? {
            guard let body = bodies[path] else { return nil }
            do { return try parse(body) } catch {
                errors.append("istiod \(SecretRedaction.url(base))\(path): \(error)")
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
        round.sources.append(SourceStatus(name: "istiod", url: SecretRedaction.url(base), ok: errors.isEmpty, error: errors.first,
                                          latencyMs: latency, lastSuccess: errors.isEmpty ? round.at : nil))
    }

    /// Istio traffic from Prometheus; on failure the last answer stays (its source row shows the
    /// error and the age of the data).
    private func pollPrometheus(_ source: PrometheusSource, into round: inout PollRound) async {
        let start = options.clock()
        do {
            let answer = try await source.read(displayWindow: options.rateWindow, healthWindow: options.healthWindow, at: round.at)
            lastPrometheus = (round.at, answer)
            round.prometheus = answer
            round.sources.append(SourceStatus(name: "prometheus", url: SecretRedaction.url(source.baseURL), ok: true, latencyMs: options.clock().timeIntervalSince(start) * 1000,
                                              lastSuccess: round.at))
        } catch {
            round.prometheus = lastPrometheus?.round
            round.sources.append(SourceStatus(name: "prometheus", url: SecretRedaction.url(source.baseURL), ok: false, error: "\(error)",
                                              lastSuccess: lastPrometheus?.at))
        }
    }

    /// One proxy target, read through the API of its kind.
    private func observe(_ target: ScrapeTarget, configVersion: String?) async -> ProxyObservation {
        switch target.kind {
        case "linkerd": await observeLinkerd(target)
        case "mosn": await observeMosn(target, configVersion: configVersion)
        default: await observeEnvoy(target, configVersion: configVersion)
        }
    }

    /// Stats, certificates, SDS secrets and server info of one Envoy. With Prometheus as the
    /// traffic source its stats are not read.
    private func observeEnvoy(_ target: ScrapeTarget, configVersion: String?) async -> ProxyObservation {
        var observation = ProxyObservation(target: target, at: options.clock())
        let source = "proxy \(target.proxyID)"
        observation.configs = cachedConfigs(target)
        // The server state from the stats' `server.state` gauge, when they carried it.
        var stateFromStats: String?
        do {
            if prometheus == nil {
                let statsPath = options.statsFilter.map { "/stats/prometheus?filter=\(Self.queryValue($0))" } ?? "/stats/prometheus"
                // Stamped when asked, as Prometheus stamps a scrape: the proxy counts up to about
                // then, and an answer that is slow to arrive (a loaded poller, a large body)
                // would otherwise shorten the time its increase is divided by.
                observation.at = options.clock()
                let stats = try await fetcher.get(target.url + statsPath, source: source, accept: "text/plain;version=0.0.4")
                observation.latencyMs += stats.latency
                do {
                    observation.counters = try statsScanner.counters(at: observation.at, body: stats.body)
                    stateFromStats = statsScanner.lastServerState.flatMap(Self.serverStateName)
                } catch {
                    observation.errors.append("\(source) \(target.url)/stats/prometheus: \(error)")
                }
            }
            if let cached = slowCache[target.url], options.clock().timeIntervalSince(cached.readAt) < cached.dueAfter {
                observation.secrets = cached.secrets
                observation.certificates = cached.certificates
                var info = cached.info
                if let stateFromStats {
                    info.state = stateFromStats
                } else {
                    // `/ready` answers the server state in a word (LIVE 200; DRAINING and others 503).
                    let ready = try await fetcher.get(target.url + "/ready", source: source, alsoAccept: [503])
                    observation.latencyMs += ready.latency
                    let state = String(decoding: ready.body.prefix(64), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    // Envoy answers one upper-case word; anything else is not Envoy's answer.
                    guard state.count <= 32, state.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || $0 == "_" }) else {
                        throw SourceError(source: "\(source) \(target.url)/ready", reason: "not a server state (expected a word like LIVE, got \(ready.body.count) bytes)")
                    }
                    info.state = state.isEmpty ? (ready.status == 200 ? "LIVE" : "NOT READY") : state
                }
                info.uptimeSeconds = info.uptimeSeconds.map { $0 + options.clock().timeIntervalSince(cached.readAt) }
                observation.serverInfo = info
            } else {
                // SDS secrets are a few KB (the chain and root as PEM); `/certs` lists every TLS
                // context (hundreds of KB in a large mesh) and is read only without them.
                let secrets = try await fetcher.get(target.url + "/config_dump?resource=dynamic_active_secrets", source: source)
                observation.latencyMs += secrets.latency
                observation.secrets = try parsed(source, target.url + "/config_dump?resource=dynamic_active_secrets") {
                    try ConfigDumpDecoder.decode(secrets.body).secrets
                }
                if !observation.secrets.contains(where: { $0.certificatePEM != nil && !$0.warming }) {
                    let certs = try await fetcher.get(target.url + "/certs", source: source)
                    observation.latencyMs += certs.latency
                    observation.certificates = try parsed(source, target.url + "/certs") { try EnvoyFormats.certs(certs.body) }
                }
                let info = try await fetcher.get(target.url + "/server_info", source: source)
                observation.latencyMs += info.latency
                observation.serverInfo = try parsed(source, target.url + "/server_info") { try EnvoyFormats.serverInfo(info.body) }
                slowCache[target.url] = (options.clock(), options.certsRefresh * Double.random(in: 0.5...1), observation.secrets,
                                         observation.certificates, observation.serverInfo!)
            }
            if let configVersion {
                observation.configs = try await readConfigs(target, source: source)
                rememberConfigs(target, version: configVersion, documents: observation.configs)
            }
        } catch {
            observation.errors.append("\(error)")
        }
        return observation
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

    /// A query parameter's value percent-encoded (a regex's `|`, `+` or `&` would otherwise be
    /// read as part of the URL).
    public static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? text
    }

    /// Runs a parser over a body read from `url`; what it throws names the source and the URL,
    /// as fetch errors do ("line 12: unterminated string" alone does not say which proxy).
    func parsed<T>(_ source: String, _ url: String, _ parse: () throws -> T) throws -> T {
        do { return try parse() } catch let error as SourceError { throw error } catch {
            throw SourceError(source: "\(source) \(SecretRedaction.url(url))", reason: "\(error)")
        }
    }

    func cachedConfigs(_ target: ScrapeTarget) -> [ConfigDocument] { configCache[target.url]?.documents ?? [] }

    func rememberConfigs(_ target: ScrapeTarget, version: String, documents: [ConfigDocument]) {
        configCache[target.url] = (version, options.clock(), documents)
    }

    /// The proxy's route configurations and cluster set as documents.
    private func readConfigs(_ target: ScrapeTarget, source: String) async throws -> [ConfigDocument] {
        let parts = target.proxyID.split(separator: ".", maxSplits: 1).map(String.init)
        let pod = target.labels["pod"] ?? parts.first ?? target.proxyID
        let namespace = target.labels["namespace"] ?? (parts.count > 1 ? parts[1] : "")
        let routes = try await fetcher.get(target.url + "/config_dump?resource=dynamic_route_configs", source: source)
        let clusters = try await fetcher.get(target.url + "/config_dump?resource=dynamic_active_clusters&mask=cluster.name,cluster.type",
                                             source: source)
        return [
            try parsed(source, target.url + "/config_dump?resource=dynamic_route_configs") {
                try ConfigText.proxyRoutes(routes.body, namespace: namespace, pod: pod)
            },
            ConfigText.proxyClusters(try parsed(source, target.url + "/config_dump?resource=dynamic_active_clusters") {
                try ConfigDumpDecoder.decode(clusters.body)
            }, namespace: namespace, pod: pod),
        ]
    }
}
