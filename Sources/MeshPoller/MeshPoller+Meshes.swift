import Foundation
import MeshModel
import MeshSources

/// Linkerd and SOFAMosn targets (mesh-apis.md §5, §6): the same observation as an Envoy's, read
/// from their own admin APIs.
extension MeshPoller {
    /// `/metrics` (request counters, build version, identity certificate expiry) and `/ready`.
    func observeLinkerd(_ target: ScrapeTarget) async -> ProxyObservation {
        var observation = ProxyObservation(target: target, at: options.clock())
        let source = "linkerd proxy \(target.proxyID)"
        do {
            observation.at = options.clock() // stamped when asked, as for Envoy
            let metrics = try await fetcher.get(target.url + "/metrics", source: source, accept: "text/plain;version=0.0.4")
            observation.latencyMs += metrics.latency
            let exposition = try parsed(source, target.url + "/metrics") { try ExpositionParser.parse(metrics.body, format: .prometheus) }
            observation.counters = LinkerdTraffic.counters(at: observation.at, exposition: exposition, target: target)
            observation.certificates = LinkerdTraffic.certificate(exposition, proxyID: target.proxyID).map { [$0] } ?? []
            let version = LinkerdTraffic.version(exposition) ?? "unknown"
            // /ready answers 503 until the proxy can serve: that is a state, not a failure to poll.
            let ready = try await fetcher.get(target.url + "/ready", source: source, alsoAccept: [503])
            observation.latencyMs += ready.latency
            observation.serverInfo = ServerInfo(version: version, envoyVersion: version, state: ready.status == 200 ? "LIVE" : "NOT READY")
        } catch {
            observation.errors.append("\(error)")
        }
        return observation
    }

    /// `/api/v1/stats` (upstream cluster counters), `/api/v1/version`, `/api/v1/states`, and the
    /// config dump's routers and clusters (re-read on the same schedule as Envoy configs).
    func observeMosn(_ target: ScrapeTarget, configVersion: String?) async -> ProxyObservation {
        var observation = ProxyObservation(target: target, at: options.clock())
        let source = "mosn \(target.proxyID)"
        observation.configs = cachedConfigs(target)
        do {
            observation.at = options.clock() // stamped when asked, as for Envoy
            let stats = try await fetcher.get(target.url + "/api/v1/stats", source: source)
            observation.latencyMs += stats.latency
            let counters = try parsed(source, target.url + "/api/v1/stats") { try MosnFormats.stats(stats.body) }
            observation.counters = MosnTraffic.counters(at: observation.at, stats: counters, target: target)
            let version = try await fetcher.get(target.url + "/api/v1/version", source: source)
            let states = try await fetcher.get(target.url + "/api/v1/states", source: source)
            let state = MosnFormats.state(states.body) ?? "unknown"
            let mosnVersion = MosnFormats.version(version.body) ?? "unknown"
            observation.serverInfo = ServerInfo(version: mosnVersion, envoyVersion: mosnVersion, state: state == "Running" ? "LIVE" : state)
            if let configVersion {
                let dump = try await fetcher.get(target.url + "/api/v1/config_dump", source: source)
                observation.configs = try parsed(source, target.url + "/api/v1/config_dump") {
                    try MosnFormats.configDocuments(dump.body, namespace: target.labels["namespace"] ?? "", pod: target.labels["pod"] ?? target.proxyID)
                }
                rememberConfigs(target, version: configVersion, documents: observation.configs)
            }
        } catch {
            observation.errors.append("\(error)")
        }
        return observation
    }
}
