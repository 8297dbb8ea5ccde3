import Foundation
import MeshModel
@testable import MeshPoller
@testable import MeshSim
import MeshSources

/// Builds poll rounds straight from a simulator state at a chosen simulated time, through the
/// same renderers and parsers the HTTP path uses, so derivation can be checked over long,
/// precise windows without waiting on the wall clock.
enum SimRounds {
    static let t0 = Date(timeIntervalSince1970: 1_795_000_000)

    static func state(_ configure: (inout SimOptions) -> Void = { _ in }) throws -> SimulatorState {
        var options = SimOptions()
        configure(&options)
        return try SimulatorState(options: options, now: t0)
    }

    static func round(_ state: SimulatorState, at seconds: Double) throws -> PollRound {
        let now = t0.addingTimeInterval(seconds)
        var round = PollRound(at: now)
        let bytes = { (value: JSONValue) in JSONWriter.write(value, pretty: false) }
        round.mergeSyncz(try IstiodFormats.syncz(bytes(IstiodRenderer.syncz(state, namespace: nil))), replica: "istiod-sim")
        round.registry = try IstiodFormats.registryz(bytes(IstiodRenderer.registryz(state)))
        round.configs = try IstiodFormats.configz(bytes(ConfigRenderer.configz(state)))
        round.endpoints = try IstiodFormats.endpointz(bytes(IstiodRenderer.endpointz(state)))
        for proxy in state.topology.proxies where state.proxies[proxy.index].present {
            let context = ProxyContext(state: state, proxy: proxy.index, now: now)
            var observation = ProxyObservation(target: ScrapeTarget(url: "http://\(proxy.adminHost):15000", labels: ["proxy": proxy.id]), at: now)
            observation.counters = RequestCounters(at: now, exposition: try ExpositionParser.parse(EnvoyStatsRenderer.prometheus(context), format: .prometheus))
            observation.certificates = try EnvoyFormats.certs(bytes(EnvoyAdminRenderer.certs(context)))
            observation.secrets = try ConfigDumpDecoder.decode(bytes(try ConfigDumpRenderer.render(context, query: ["resource": "dynamic_active_secrets"]))).secrets
            observation.serverInfo = try EnvoyFormats.serverInfo(bytes(EnvoyAdminRenderer.serverInfo(context)))
            round.proxies[proxy.id] = observation
        }
        round.sources = [SourceStatus(name: "istiod", url: "sim", ok: true)]
        return round
    }
}
