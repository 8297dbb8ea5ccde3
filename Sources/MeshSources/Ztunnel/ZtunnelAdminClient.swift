import Foundation
import MeshModel

/// What meshtop asks of an ambient node's ztunnel (mesh-apis.md §10): its metrics every poll
/// (`istio_build` for its version; the L4 counters), and its `/config_dump` — the workloads it
/// knows and one certificate per identity of its node's pods, handed on as secrets so they join
/// the sidecars' in the Certificates table. A certificate whose PEM does not parse is named
/// (ztunnel, identity) among the dump's problems and left out; the rest of the dump is still
/// used (an error would make the poller keep the last poll's reading of the whole ztunnel).
public struct ZtunnelAdminClient: ProxyAdminClient {
    let client: MeshClient
    let clock: @Sendable () -> Date

    public init(client: MeshClient, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.clock = clock
    }

    /// A ztunnel has no Envoy route or cluster sets.
    public var servesConfigs: Bool { false }

    static let metricsPath = "/stats/prometheus"
    static let dumpPath = "/config_dump"

    public func observe(_ target: ScrapeTarget, plan: ObservationPlan) async -> ProxyReading {
        var reading = ProxyReading(ProxyObservation(target: target, at: clock()))
        let source = "ztunnel \(target.proxyID)"
        do throws(SourceError) {
            reading.observation.at = clock() // stamped when asked, as for Envoy
            let (metricsRequest, metrics) = try await client.read(target, Self.metricsPath, source, accept: "text/plain;version=0.0.4",
                                                                  via: target.statsEndpoint, into: &reading.observation)
            let exposition = try SourceError.decode(metricsRequest.failureSource) { try ExpositionParser.parse(metrics.body, format: .prometheus) }
            let version = exposition.family("istio_build")?.samples.first?.label("tag") ?? "unknown"
            let serverInfo = ServerInfo(version: version, state: "LIVE", istioVersion: version)
            reading.observation.serverInfo = serverInfo
            reading.observation.tcp = TCPCounters(at: reading.observation.at, exposition: exposition)
            // The dump on the details' cadence (15–30 s), the metrics every poll.
            if let cached = plan.cachedDetails, let dump = cached.ztunnel {
                reading.observation.ztunnel = dump
                reading.observation.secrets = cached.secrets
                return reading
            }
            let (dumpRequest, answer) = try await client.read(target, Self.dumpPath, source, into: &reading.observation)
            var dump = try SourceError.decode(dumpRequest.failureSource) { try ZtunnelConfigDump.decode(answer.body) }
            var secrets: [ConfigDump.Secret] = []
            for entry in dump.certificates where !entry.chain.isEmpty {
                let pem = entry.chain.map(\.pem).joined()
                do {
                    _ = try PEMCertificates.parse(pem, source: "\(source) identity \(entry.identity)")
                    secrets.append(ConfigDump.Secret(name: entry.identity, certificatePEM: pem, isTrustBundle: false, warming: entry.stateWord != "Available"))
                } catch {
                    dump.problems.append("identity \(entry.identity): its certificate chain does not parse (\(error))")
                }
            }
            reading.observation.ztunnel = dump
            reading.observation.secrets = secrets
            reading.freshDetails = ProxyDetails(readAt: clock(), secrets: secrets, certificates: [], serverInfo: serverInfo, ztunnel: dump)
        } catch {
            reading.observation.errors.append(error)
        }
        return reading
    }
}
