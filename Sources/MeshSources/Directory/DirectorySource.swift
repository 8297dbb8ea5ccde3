import Foundation
import MeshModel

/// `--source dir:PATH`: a directory of captured outputs, read into one poll round.
/// Top level: syncz.json, registryz.json, configz.json, endpointz.json; per proxy
/// `proxies/<proxy-id>/` with any of config_dump.json, certs.json, stats.prom, clusters.json,
/// server_info.json. Missing files are skipped; a file that does not parse is an error naming it.
public enum DirectorySource {
    public static func read(_ path: String, at: Date = Date()) throws(SourceError) -> PollRound {
        let root = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SourceError(source: "dir:\(path)", reason: .unreadable("not a directory"))
        }
        var round = PollRound(at: at)
        func load<T>(_ name: String, _ parse: ([UInt8]) throws -> T) throws(SourceError) -> T? {
            let url = root.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
            return try SourceError.decode(url.path) { try parse(Array(data)) }
        }
        if let rows = try load("syncz.json", IstiodFormats.syncz) { round.mergeSyncz(rows, replica: "dir:\(path)") }
        round.registry = try load("registryz.json", IstiodFormats.registryz) ?? []
        round.configs = try load("configz.json", IstiodFormats.configz) ?? []
        round.endpoints = try load("endpointz.json", IstiodFormats.endpointz) ?? []
        round.sources.append(SourceStatus(name: "directory", url: "dir:\(path)", ok: true, lastSuccess: at))
        let proxiesURL = root.appendingPathComponent("proxies")
        for proxy in (try? FileManager.default.contentsOfDirectory(atPath: proxiesURL.path))?.sorted() ?? [] {
            let base = "proxies/\(proxy)/"
            var observation = ProxyObservation(target: ScrapeTarget(url: "file://" + proxiesURL.appendingPathComponent(proxy).path,
                                                                    labels: ["proxy": proxy]), at: at)
            observation.counters = try load(base + "stats.prom") { RequestCounters(at: at, exposition: try ExpositionParser.parse($0)) }
            observation.certificates = try load(base + "certs.json", EnvoyFormats.certs) ?? []
            observation.secrets = try load(base + "config_dump.json", ConfigDumpDecoder.decode)?.secrets ?? []
            observation.serverInfo = try load(base + "server_info.json", EnvoyFormats.serverInfo)
            observation.hosts = try load(base + "clusters.json", EnvoyFormats.clusters) ?? []
            round.proxies[proxy] = observation
        }
        return round
    }
}
