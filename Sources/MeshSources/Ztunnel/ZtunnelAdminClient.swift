import Foundation
import MeshModel

/// What meshtop asks of an ambient node's ztunnel (mesh-apis.md §10): its metrics every poll
/// (`istio_build` for its version; the L4 counters), and its `/config_dump` — the workloads it
/// knows and one certificate per identity of its node's pods, handed on as secrets so they join
/// the sidecars' in the Certificates table. A certificate whose PEM does not parse is named
/// (ztunnel, identity) and left out; the rest of the dump is still used.
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
        var observation = ProxyObservation(target: target, at: clock())
        let source = "ztunnel \(target.proxyID)"
        do throws(SourceError) {
            observation.at = clock() // stamped when asked, as for Envoy
            let (metricsRequest, metrics) = try await client.read(target, Self.metricsPath, source, accept: "text/plain;version=0.0.4",
                                                                  via: target.statsEndpoint, into: &observation)
            let exposition = try SourceError.decode(metricsRequest.failureSource) { try ExpositionParser.parse(metrics.body, format: .prometheus) }
            let version = exposition.family("istio_build")?.samples.first?.label("tag") ?? "unknown"
            observation.serverInfo = ServerInfo(version: version, state: "LIVE", istioVersion: version)
            observation.tcp = TCPCounters(at: observation.at, exposition: exposition)
            let (dumpRequest, answer) = try await client.read(target, Self.dumpPath, source, into: &observation)
            let dump = try SourceError.decode(dumpRequest.failureSource) { try ZtunnelConfigDump.decode(answer.body) }
            observation.ztunnel = dump
            for entry in dump.certificates where !entry.chain.isEmpty {
                let pem = entry.chain.map(\.pem).joined()
                do {
                    _ = try PEMCertificates.parse(pem, source: "\(source) identity \(entry.identity)")
                    observation.secrets.append(ConfigDump.Secret(name: entry.identity, certificatePEM: pem, isTrustBundle: false,
                                                                 warming: entry.stateWord != "Available"))
                } catch {
                    observation.errors.append(dumpRequest.failure(.unexpectedAnswer("identity \(entry.identity): its certificate chain does not parse (\(error))")))
                }
            }
        } catch {
            observation.errors.append(error)
        }
        return ProxyReading(observation)
    }
}
