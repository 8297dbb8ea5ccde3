import Foundation
import MeshModel
import MeshSources

/// Turns poll rounds into `MeshSnapshot`s. Keeps the previous round's counters per proxy,
/// because rates are counter increases between two polls.
public struct SnapshotDeriver: Sendable {
    public var thresholds = HealthThresholds()
    /// `namespace/service` → thresholds replacing `thresholds` for that service (configuration).
    public var serviceThresholds: [String: HealthThresholds] = [:]
    /// RPS, success and latency are shown over this window (product.md §6: 1 min)…
    public var rateWindow: TimeInterval = 60
    /// …and health is judged over this one (5 min), so one bad poll does not flip a colour.
    public var healthWindow: TimeInterval = 300
    /// Past counters per proxy, oldest first, kept for the health window.
    private var history = CounterHistory()
    /// The last snapshot derived, for the events of the next one.
    private var previous: MeshSnapshot?
    /// Certificates parsed from each PEM seen in the last round.
    private var parsedPEMs: [String: [Certificate]] = [:]
    /// Each ztunnel's last L4 counters, the baseline of its next rates.
    var tcpBaselines: [String: TCPCounters] = [:]

    public init(thresholds: HealthThresholds = HealthThresholds()) { self.thresholds = thresholds }

    /// The newest counters kept for `proxy`: what its rates come from while it fails.
    func newestCounters(_ proxy: String) -> RequestCounters? { history.samples(proxy).last.map(history.unpack) }

    /// The oldest counters within `window` of `now` (or the newest older one when polls are
    /// further apart than the window).
    static func baseline<Sample: Timestamped>(_ past: [Sample], now: Date, window: TimeInterval) -> Sample? {
        past.first { now.timeIntervalSince($0.at) <= window + 0.5 } ?? past.last
    }

    /// Past counters thinned out (the newest always kept): baselines need one sample near each
    /// window's edge, not one per poll. Within twice the rate window samples stay a quarter of it
    /// apart (the shown window is 45–60 s), older ones a rate window apart (the health window is
    /// 4–5 min): ~11 samples per proxy instead of 180 at a 2 s interval (measured: the history
    /// was most of the poller's memory at 5,000 proxies). Rates divide by the real time between
    /// the samples they use.
    static func thinned<Sample: Timestamped>(_ past: [Sample], now: Date, rateWindow: TimeInterval) -> [Sample] {
        var kept: [Sample] = []
        for (index, counters) in past.enumerated() {
            let spacing = now.timeIntervalSince(counters.at) <= 2 * rateWindow ? rateWindow / 4 : rateWindow
            if index == past.count - 1 || kept.last.map({ counters.at.timeIntervalSince($0.at) >= spacing }) ?? true { kept.append(counters) }
        }
        return kept
    }

    public mutating func derive(_ round: PollRound) -> MeshSnapshot {
        let now = round.at
        var traffic = TrafficAggregation()
        var healthTraffic = TrafficAggregation()
        if let prometheus = round.prometheus {
            traffic.add(rates: prometheus.display.rates, buckets: prometheus.display.buckets, origin: .istioPrometheus)
            healthTraffic.add(rates: prometheus.health.rates, buckets: prometheus.health.buckets, origin: .istioPrometheus)
        }
        // Counters are compared packed (flat arrays in series-id order, no dictionaries): at
        // 5,000 proxies unpacking baselines and comparing dictionaries took ~1 s per round.
        for (proxy, observation) in round.proxies {
            let kept = history.samples(proxy)
            // A proxy that failed this round comes with its last good observation, whose
            // counters the poller leaves to this history: its newest sample stands in.
            guard let counters = observation.counters.map({ history.pack($0) }) ?? kept.last else { continue }
            let origin = observation.kind
            let past = kept.filter { $0.at < counters.at }
            if let rateBase = Self.baseline(past, now: counters.at, window: rateWindow) {
                traffic.add(current: counters, previous: rateBase, index: history.index, origin: origin)
            }
            if let healthBase = Self.baseline(past, now: counters.at, window: healthWindow) {
                healthTraffic.add(current: counters, previous: healthBase, index: history.index, origin: origin)
            }
            // A proxy that failed this round came with its last counters again: they stay the
            // newest sample, for the next comparison.
            let isNew = kept.last?.at != counters.at
            let (window, rateWindow) = (healthWindow + 60, rateWindow)
            history.keep(isNew ? past : kept, appending: isNew ? counters : nil, for: proxy) { samples in
                Self.thinned(samples.filter { counters.at.timeIntervalSince($0.at) <= window }, now: counters.at, rateWindow: rateWindow)
            }
        }
        // Ids change here; the aggregations keep the bound sets they were given.
        history.compactIndexIfNeeded()

        var snapshot = MeshSnapshot(generatedAt: now, sources: round.sources)
        snapshot.access = round.access.isEmpty ? nil : round.access
        let versions = versionsByHost(round.endpoints)
        let targetMeshes = meshesByService(round)
        for service in servicesToShow(round, traffic: traffic, targetMeshes: targetMeshes) {
            var model = Service(name: service.name, namespace: service.namespace, hostname: service.hostname, ports: service.ports,
                                versions: versions[service.hostname] ?? service.versions, meshExternal: service.meshExternal)
            let key = "\(service.namespace)/\(service.name)"
            model.origin = traffic.serviceOrigin(key) ?? targetMeshes[key] ?? .istiod
            if let metrics = traffic.serviceMetrics(key) {
                model.traffic = metrics
                model.health = HealthRules.traffic(healthTraffic.serviceMetrics(key) ?? metrics, thresholds: serviceThresholds[key] ?? thresholds)
            } else {
                model.health = HealthVerdict(.idle, reason: round.proxies.isEmpty ? "no proxy metrics" : "no traffic")
            }
            snapshot.services.append(model)
        }
        let healthEdges = Dictionary(healthTraffic.edgeList().map { ($0.id, $0.traffic) }, uniquingKeysWith: { a, _ in a })
        snapshot.edges = traffic.edgeList().map { edge in
            var edge = edge
            edge.health = HealthRules.traffic(healthEdges[edge.id] ?? edge.traffic, thresholds: thresholds)
            return edge
        }
        snapshot.workloads = workloads(round)
        snapshot.proxies = proxies(round, now: now)
        snapshot.certificates = certificates(round, now: now)
        var (routes, policies, routeFindings) = RouteDerivation.derive(configs: round.configs, registry: round.registry)
        // No VirtualService anywhere (no istiod, no API): the Envoys' own route tables.
        if routes.isEmpty { routes = EnvoyRouteDerivation.routes(round) }
        snapshot.routes = routes.map { $0.withObservedShares(edges: snapshot.edges, policies: policies) }
        snapshot.destinationPolicies = policies
        snapshot.ztunnels = ztunnels(round, now: now)
        applyL4(round, snapshot: &snapshot)
        setDataplaneModes(round, snapshot: &snapshot)
        snapshot.findings = routeFindings + HealthRules.findings(snapshot) + ambientFindings(round)
        snapshot.configs = round.configs.map(ConfigText.document).sorted { $0.id < $1.id }
            + round.proxies.keys.sorted().flatMap { round.proxies[$0]!.configs }
        snapshot.events = EventDeriver.events(from: previous, to: snapshot)
        previous = snapshot
        previous?.events = []
        return snapshot
    }

    /// A service to list: from istiod's registry, or seen only in traffic or targets (a Linkerd or
    /// MOSN mesh without istiod).
    struct ListedService {
        var name: String, namespace: String, hostname: String, ports: [ServicePort], versions: [String], meshExternal: Bool
    }

    /// The registry's services plus those only traffic or proxy targets name, sorted.
    func servicesToShow(_ round: PollRound, traffic: TrafficAggregation, targetMeshes: [String: MeshKind]) -> [ListedService] {
        var out = round.registry.map {
            ListedService(name: $0.name, namespace: $0.namespace, hostname: $0.hostname, ports: $0.ports, versions: [], meshExternal: $0.meshExternal)
        }
        var known = Set(out.map { "\($0.namespace)/\($0.name)" })
        var versions: [String: Set<String>] = [:]
        for observation in round.proxies.values where observation.kind != .istioEnvoy {
            let labels = observation.target.labels
            if let app = labels["app"], let namespace = labels["namespace"], let version = labels["version"] { versions["\(namespace)/\(app)", default: []].insert(version) }
        }
        for key in traffic.serviceKeys.union(targetMeshes.keys).sorted() where !known.contains(key) {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0] != "unknown", parts[1] != "unknown" else { continue }
            known.insert(key)
            out.append(ListedService(name: parts[1], namespace: parts[0], hostname: "\(parts[1]).\(parts[0]).svc.cluster.local", ports: [],
                                     versions: versions[key].map { $0.sorted() } ?? [], meshExternal: false))
        }
        return out.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
    }

    /// `namespace/app` → the mesh of the proxies a targets file lists for it (every kind but an
    /// Istio sidecar, whose services istiod's registry lists: Linkerd, MOSN, Envoys without Istio).
    func meshesByService(_ round: PollRound) -> [String: MeshKind] {
        var out: [String: MeshKind] = [:]
        for observation in round.proxies.values where observation.kind != .istioEnvoy {
            guard let app = observation.target.labels["app"], let namespace = observation.target.labels["namespace"] else { continue }
            out["\(namespace)/\(app)"] = observation.kind
        }
        return out
    }

    func versionsByHost(_ endpoints: [EndpointEntry]) -> [String: [String]] {
        var out: [String: Set<String>] = [:]
        for endpoint in endpoints { if let version = endpoint.labels["version"] { out[endpoint.host, default: []].insert(version) } }
        return out.mapValues { $0.sorted() }
    }

    func workloads(_ round: PollRound) -> [Workload] {
        var byName: [String: Workload] = [:]
        for endpoint in round.endpoints {
            guard let name = endpoint.workload, !name.isEmpty else { continue }
            let key = "\(endpoint.namespace)/\(name)"
            if byName[key] == nil {
                byName[key] = Workload(name: name, namespace: endpoint.namespace, app: endpoint.labels["app"] ?? name,
                                       version: endpoint.labels["version"] ?? "", serviceAccount: "")
            }
        }
        // A pod belongs to the workload whose name is the longest `-`-separated prefix of the
        // pod's name, in the pod's namespace (looked up, not scanned: meshes have thousands).
        for row in round.syncz {
            let parts = row.proxyID.split(separator: ".", maxSplits: 1).map(String.init)
            let pod = parts.first ?? ""
            let namespace = parts.count > 1 ? parts[1] : ""
            var end = pod.endIndex
            while let dash = pod[..<end].lastIndex(of: "-") {
                let key = "\(namespace)/\(pod[..<dash])"
                if byName[key] != nil {
                    if !(byName[key]?.proxyIDs.contains(row.proxyID) ?? true) { byName[key]?.proxyIDs.append(row.proxyID) }
                    break
                }
                end = dash
            }
        }
        // Proxies istiod does not list (targets of Linkerd, MOSN, plain Envoy meshes): their
        // workload from their target's labels.
        for observation in round.proxies.values.sorted(by: { $0.target.proxyID < $1.target.proxyID }) {
            let labels = observation.target.labels
            guard let name = labels["workload"], !name.isEmpty else { continue }
            let namespace = observation.target.namespace
            let key = "\(namespace)/\(name)"
            if byName[key] == nil {
                byName[key] = Workload(name: name, namespace: namespace, app: labels["app"] ?? name,
                                       version: labels["version"] ?? "", serviceAccount: "")
            }
            if !(byName[key]?.proxyIDs.contains(observation.target.proxyID) ?? true) { byName[key]?.proxyIDs.append(observation.target.proxyID) }
        }
        return byName.keys.sorted().compactMap { byName[$0] }
    }

    func proxies(_ round: PollRound, now: Date) -> [Proxy] {
        var out: [Proxy] = []
        var seen = Set<String>()
        for row in round.syncz.sorted(by: { ($0.clusterID, $0.proxyID) < ($1.clusterID, $1.proxyID) }) {
            seen.insert(row.proxyID)
            var sync: [XDSType: SyncState] = [:]
            for (type, state) in row.types {
                let status = SyncState.derive(sent: state.sent, acked: state.acked, lastError: state.lastError, proxyType: row.proxyType)
                sync[type] = SyncState(status: status, sentAt: state.sentTime, lastError: state.lastError)
            }
            let observation = round.proxies[row.proxyID]
            let answered = observation?.unanswered == true ? nil : observation
            let parts = row.proxyID.split(separator: ".", maxSplits: 1).map(String.init)
            out.append(Proxy(id: row.proxyID, namespace: parts.count > 1 ? parts[1] : "", podName: parts.first ?? row.proxyID,
                             clusterID: row.clusterID, type: row.proxyType, workload: observation?.target.labels["workload"],
                             adminURL: observation?.target.url, istioVersion: row.versionColumn,
                             proxyVersion: observation?.serverInfo?.envoyVersion, istiod: row.istiod, sync: sync,
                             serverState: answered?.serverInfo?.state, uptimeSeconds: answered?.serverInfo?.uptimeSeconds,
                             health: HealthRules.proxy(sync: sync, inSyncz: true, now: now, thresholds: thresholds),
                             origin: observation?.kind ?? .istioEnvoy))
            out[out.count - 1].note = observation.flatMap(Self.note)
            out[out.count - 1].clusters = Self.clusters(observation)
        }
        for (id, observation) in round.proxies.sorted(by: { $0.key < $1.key }) where !seen.contains(id) {
            // A proxy that did not answer: its versions stand, its state is unknown.
            let state = observation.unanswered ? nil : observation.serverInfo?.state
            out.append(Proxy(id: id, namespace: observation.target.labels["namespace"] ?? observation.target.namespace,
                             podName: observation.target.labels["pod"] ?? observation.target.pod,
                             workload: observation.target.labels["workload"], adminURL: observation.target.url,
                             istioVersion: observation.serverInfo?.istioVersion, proxyVersion: observation.serverInfo?.envoyVersion,
                             serverState: state, uptimeSeconds: observation.unanswered ? nil : observation.serverInfo?.uptimeSeconds,
                             health: observation.unanswered
                                 ? HealthVerdict(.unknown, reason: "not answering")
                                 : observation.kind == .istioEnvoy
                                 ? HealthRules.proxy(sync: [:], inSyncz: false, now: now)
                                 : HealthRules.meshProxy(state: state, kind: observation.kind),
                             origin: observation.kind))
            out[out.count - 1].note = Self.note(observation)
            out[out.count - 1].clusters = Self.clusters(observation)
        }
        return out
    }

    /// A proxy's clusters from `/clusters`, when read.
    static func clusters(_ observation: ProxyObservation?) -> [ProxyCluster]? {
        guard let statuses = observation?.clusterStatuses, !statuses.isEmpty else { return nil }
        return statuses.map { status in
            ProxyCluster(name: status.name, endpoints: status.hosts.count, healthy: status.hosts.filter { $0.health == "HEALTHY" }.count)
        }.sorted { $0.name < $1.name }
    }

    /// What the poller could not read of a proxy, in words.
    static func note(_ observation: ProxyObservation) -> String? {
        guard observation.servesOnlyStats else { return nil }
        return "its target serves only /stats/prometheus (Istio's :15090): traffic and state, no certificates, config or server info"
    }

    /// Every certificate seen, deduplicated by serial: from SDS secrets (whole chain, with kinds),
    /// else from `/certs`. Sorted by soonest expiry. PEMs are parsed once per distinct text: the
    /// root is on every proxy, and a chain only changes on rotation.
    mutating func certificates(_ round: PollRound, now: Date) -> [Certificate] {
        var bySerial: [String: Certificate] = [:]
        var parsedThisRound: [String: [Certificate]] = [:]
        defer { parsedPEMs = parsedThisRound }
        for (proxy, observation) in round.proxies.sorted(by: { $0.key < $1.key }) {
            var fromSecrets = false
            for secret in observation.secrets where !secret.warming {
                guard let pem = secret.certificatePEM else { continue }
                let known = parsedThisRound[pem] ?? parsedPEMs[pem]
                guard let parsed = known ?? (try? PEMCertificates.parse(pem, source: "proxy \(proxy) secret \(secret.name)")) else { continue }
                parsedThisRound[pem] = parsed
                fromSecrets = true
                for certificate in parsed { bySerial[certificate.serial, default: certificate].proxyIDs.append(proxy) }
            }
            guard !fromSecrets else { continue }
            for detail in observation.certificates {
                guard let notAfter = detail.expiration else { continue }
                if detail.serial.isEmpty, detail.validFrom == nil {
                    let certificate = Certificate.expiryOnly(notAfter: notAfter, proxyID: proxy)
                    bySerial[certificate.id] = certificate
                    continue
                }
                let spiffe = detail.sans.first { $0.hasPrefix("spiffe://") }
                let certificate = Certificate(serial: detail.serial, kind: detail.isCA ? .root : .leaf,
                                              subject: spiffe == nil ? detail.sans.first : nil, spiffeID: spiffe,
                                              notBefore: detail.validFrom ?? notAfter, notAfter: notAfter)
                bySerial[detail.serial, default: certificate].proxyIDs.append(proxy)
            }
        }
        return bySerial.values.map { certificate in
            var certificate = certificate
            certificate.proxyIDs = Array(Set(certificate.proxyIDs)).sorted()
            certificate.health = HealthRules.certificate(certificate, now: now, thresholds: thresholds)
            return certificate
        }.sorted { ($0.notAfter, $0.id) < ($1.notAfter, $1.id) }
    }
}
