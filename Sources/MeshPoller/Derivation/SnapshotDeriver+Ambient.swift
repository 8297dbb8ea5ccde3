import Foundation
import MeshModel
import MeshSources

/// The ambient part of a snapshot (mesh-apis.md §10): ztunnels from their config dumps, each
/// workload's and service's data-plane mode, and what stands in the way of an identity's
/// certificate. The certificates themselves reach the Certificates table as the ztunnels'
/// secrets (`ZtunnelAdminClient`).
extension SnapshotDeriver {
    /// Every ztunnel polled (nil when there is none): its node, the ambient pods on that node,
    /// its identities with their leaves' expiry, and its health.
    func ztunnels(_ round: PollRound, now: Date) -> [Ztunnel]? {
        let observations = round.proxies.values.filter { $0.target.kind == .ztunnel }.sorted { $0.target.proxyID < $1.target.proxyID }
        guard !observations.isEmpty else { return nil }
        let syncz = Dictionary(round.syncz.map { ($0.proxyID, $0) }, uniquingKeysWith: { first, _ in first })
        return observations.map { observation in
            let dump = observation.ztunnel
            let node = observation.target.labels["node"]
                ?? dump?.workloads.first { "\($0.name).\($0.namespace)" == observation.target.proxyID }?.node ?? "unknown"
            let identities = (dump?.certificates ?? []).map { entry in
                ZtunnelIdentity(identity: entry.identity, state: entry.stateWord, reason: entry.reason, notAfter: entry.chain.first?.expiration)
            }
            var ztunnel = Ztunnel(id: observation.target.proxyID, node: node, version: observation.serverInfo?.istioVersion,
                                  workloads: dump?.workloads.filter { $0.node == node && $0.protocol == "HBONE" }.count ?? 0,
                                  identities: identities, answered: !observation.unanswered && dump != nil)
            if let wds = syncz[observation.target.proxyID]?.workloads {
                ztunnel.workloadSync = SyncState(status: SyncState.derive(sent: wds.sent, acked: wds.acked, lastError: wds.lastError, proxyType: .ztunnel),
                                                 sentAt: wds.sentTime, lastError: wds.lastError)
            }
            ztunnel.health = health(ztunnel, hasCertificates: dump?.hasCertificates ?? false, now: now)
            return ztunnel
        }
    }

    /// Unknown while it does not answer; critical for an identity ztunnel cannot get or an
    /// expired leaf; warning while one is being fetched or a leaf is near its end.
    func health(_ ztunnel: Ztunnel, hasCertificates: Bool, now: Date) -> HealthVerdict {
        guard ztunnel.answered else { return HealthVerdict(.unknown, reason: "did not answer this poll") }
        if let unavailable = ztunnel.identities.first(where: { $0.state == "Unavailable" }) {
            return HealthVerdict(.critical, reason: "\(unavailable.identity) unavailable: \(unavailable.reason ?? "no reason given")")
        }
        if let soonest = ztunnel.soonestExpiry, soonest <= now { return HealthVerdict(.critical, reason: "a workload certificate has expired") }
        if let pending = ztunnel.identities.first(where: { $0.state == "Initializing" }) {
            return HealthVerdict(.warning, reason: "\(pending.identity) initializing")
        }
        guard hasCertificates else { return HealthVerdict(.unknown, reason: "its config dump has no certificates") }
        let count = ztunnel.identities.count
        return HealthVerdict(.healthy, reason: "\(count) \(count == 1 ? "identity" : "identities") available")
    }

    /// Sets each workload's and service's mode: ambient (or ambient+waypoint) where a ztunnel
    /// carries its pods over HBONE, sidecar where its pods have Envoy sidecars, none where the
    /// ztunnels know its pods but carry them as plain TCP; left nil without evidence. Ambient
    /// workloads no other source listed are added from the dumps.
    func setDataplaneModes(_ round: PollRound, snapshot: inout MeshSnapshot) {
        var ambient: [String: DataplaneMode] = [:], plain = Set<String>(), byWorkload: [String: ZtunnelConfigDump.Workload] = [:]
        for observation in round.proxies.values where observation.target.kind == .ztunnel {
            for workload in observation.ztunnel?.workloads ?? [] {
                let key = "\(workload.namespace)/\(workload.workloadName.isEmpty ? workload.name : workload.workloadName)"
                if workload.protocol == "HBONE" {
                    ambient[key] = workload.waypoint != nil ? .ambientWaypoint : ambient[key] ?? .ambient
                    byWorkload[key] = workload
                } else {
                    plain.insert(key)
                }
            }
        }
        let sidecars = Set(round.syncz.filter { $0.proxyType == .sidecar || $0.proxyType == .router }.map(\.proxyID))
        let known = Set(snapshot.workloads.map(\.id))
        for key in byWorkload.keys.sorted() where !known.contains(key) {
            let workload = byWorkload[key]!
            snapshot.workloads.append(Workload(name: workload.workloadName, namespace: workload.namespace, app: workload.canonicalName,
                                               version: workload.canonicalRevision, serviceAccount: workload.serviceAccount))
        }
        snapshot.workloads.sort { $0.id < $1.id }
        for index in snapshot.workloads.indices {
            let workload = snapshot.workloads[index]
            if let mode = ambient[workload.id] { snapshot.workloads[index].dataplaneMode = mode }
            else if workload.proxyIDs.contains(where: sidecars.contains) { snapshot.workloads[index].dataplaneMode = .sidecar }
            else if plain.contains(workload.id) { snapshot.workloads[index].dataplaneMode = DataplaneMode.none }
        }
        let workloadsByService = Dictionary(grouping: snapshot.workloads, by: { "\($0.namespace)/\($0.app)" })
        for index in snapshot.services.indices {
            let modes = (workloadsByService[snapshot.services[index].id] ?? []).compactMap(\.dataplaneMode)
            // The most meshed mode among its workloads: a waypoint, ambient, sidecars, none.
            let mode = [DataplaneMode.ambientWaypoint, .ambient, .sidecar, .none].first(where: modes.contains)
            snapshot.services[index].dataplaneMode = mode
            // Ambient without a waypoint: nothing measures its requests (ztunnels count bytes and
            // connections only), so "idle" would be a guess.
            if mode == .ambient, snapshot.services[index].traffic.rps == 0 {
                snapshot.services[index].health = HealthVerdict(.unknown, reason: "ambient without a waypoint: L4 only, no request metrics")
            }
        }
    }

    /// What stands in the way of the ztunnels' identities, and dump entries that could not be read.
    func ambientFindings(_ round: PollRound) -> [Finding] {
        var findings: [Finding] = []
        for observation in round.proxies.values.sorted(by: { $0.target.proxyID < $1.target.proxyID }) where observation.target.kind == .ztunnel {
            guard let dump = observation.ztunnel else { continue }
            let ztunnel = observation.target.proxyID
            for entry in dump.certificates where entry.stateWord != "Available" {
                findings.append(Finding(code: "ztunnel-identity", severity: entry.stateWord == "Unavailable" ? .critical : .warning,
                                        subject: entry.identity, message: "ztunnel \(ztunnel): \(entry.state)"))
            }
            if !dump.hasCertificates {
                findings.append(Finding(code: "ztunnel-no-certificates", severity: .warning, subject: ztunnel,
                                        message: "its config dump has no certificates section: its identities are unknown"))
            }
            for problem in dump.problems {
                findings.append(Finding(code: "ztunnel-dump", severity: .warning, subject: ztunnel, message: problem))
            }
        }
        return findings
    }

    /// L4 rates from the ztunnels' `istio_tcp_*` (destination reporter) since each one's last
    /// poll, per destination service and per edge; an edge only ztunnels saw is added as `tcp`.
    mutating func applyL4(_ round: PollRound, snapshot: inout MeshSnapshot) {
        struct Rates { var bytesIn = 0.0, bytesOut = 0.0, opened = 0.0, mtlsBytes = 0.0 }
        var byService: [String: Rates] = [:], byEdge: [String: (source: String, destination: String, rates: Rates)] = [:]
        for (proxy, observation) in round.proxies where observation.target.kind == .ztunnel {
            guard let counters = observation.tcp else { continue }
            defer { if !observation.unanswered { tcpBaselines[proxy] = counters } }
            guard let before = tcpBaselines[proxy], counters.at.timeIntervalSince(before.at) > 0.5 else { continue }
            let seconds = counters.at.timeIntervalSince(before.at)
            for (series, increase) in counters.increase(since: before) {
                let destination = "\(series.destinationNamespace)/\(series.destinationService)"
                let source = "\(series.sourceNamespace)/\(series.sourceService)"
                let add = { (rates: inout Rates) in
                    rates.bytesIn += increase.bytesIn / seconds
                    rates.bytesOut += increase.bytesOut / seconds
                    rates.opened += increase.opened / seconds
                    if series.mutualTLS { rates.mtlsBytes += (increase.bytesIn + increase.bytesOut) / seconds }
                }
                add(&byService[destination, default: Rates()])
                add(&byEdge["\(source)->\(destination)", default: (source, destination, Rates())].rates)
            }
        }
        let traffic = { (rates: Rates) in
            let total = rates.bytesIn + rates.bytesOut
            return L4Traffic(bytesInPerSecond: rates.bytesIn, bytesOutPerSecond: rates.bytesOut, connectionsPerSecond: rates.opened,
                             mtlsShare: total > 0 ? rates.mtlsBytes / total : nil)
        }
        for index in snapshot.services.indices {
            if let rates = byService[snapshot.services[index].id] { snapshot.services[index].traffic.l4 = traffic(rates) }
        }
        for key in byEdge.keys.sorted() {
            let (source, destination, rates) = byEdge[key]!
            let l4 = traffic(rates)
            if let index = snapshot.edges.firstIndex(where: { $0.id == key }) {
                snapshot.edges[index].traffic.l4 = l4
            } else {
                var metrics = TrafficMetrics()
                metrics.l4 = l4
                snapshot.edges.append(Edge(source: source, destination: destination, protocol: "tcp", mtls: (l4.mtlsShare ?? 0) >= 0.5, traffic: metrics,
                                           health: HealthVerdict(.unknown, reason: "L4 only: no request metrics"), origin: .ztunnel))
            }
        }
    }
}
