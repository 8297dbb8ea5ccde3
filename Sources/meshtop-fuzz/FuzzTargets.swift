import Foundation
import MeshSources

/// The decoders that read bytes from a mesh, grouped by what feeds them. Each target hands one
/// input to every decoder of its group: a decoder may throw (that is the expected answer to bad
/// input) but must not crash, hang or trap. Used by libFuzzer (`FuzzEntry.swift`) and by the
/// corpus replay the normal build provides (`FuzzReplay.swift`).
enum FuzzTarget: String, CaseIterable {
    /// Prometheus/OpenMetrics text: the generic parser in both formats and the Istio stats scanner.
    case exposition
    /// Envoy admin JSON: config dumps, server_info, certs, clusters, stats, and the JSON tree.
    case envoy
    /// istiod debug JSON: syncz, registryz, configz (and its YAML rendering), endpointz, version.
    case istiod
    /// PEM bundles as SDS secrets carry them: certificates, chains, garbage between blocks.
    case pem
    /// The other APIs we decode: Prometheus HTTP API envelopes, SOFAMosn admin JSON, ztunnel
    /// config dumps (and the istioctl tables drawn from them).
    case apis

    func run(_ bytes: [UInt8]) {
        switch self {
        case .exposition:
            _ = try? ExpositionParser.parse(bytes, format: .prometheus)
            _ = try? ExpositionParser.parse(bytes, format: .openMetrics)
            _ = try? ExpositionParser.parse(bytes, format: .prometheus, strict: true)
            var scanner = IstioStatsScanner()
            _ = try? scanner.counters(at: Date(timeIntervalSince1970: 0), body: bytes)
            if let exposition = try? ExpositionParser.parse(bytes, format: .prometheus) {
                _ = TCPCounters(at: Date(timeIntervalSince1970: 0), exposition: exposition)
            }
        case .envoy:
            if let dump = try? ConfigDumpDecoder.decode(bytes) {
                _ = ConfigText.proxyClusters(dump, namespace: "ns", pod: "pod")
            }
            _ = try? EnvoyFormats.serverInfo(bytes)
            _ = try? EnvoyFormats.certs(bytes)
            _ = try? EnvoyFormats.clusters(bytes)
            _ = try? EnvoyFormats.statsJSON(bytes)
            _ = try? ConfigText.proxyRoutes([bytes], namespace: "ns", pod: "pod")
        case .istiod:
            _ = try? IstiodFormats.syncz(bytes)
            _ = try? IstiodFormats.registryz(bytes)
            _ = try? IstiodFormats.endpointz(bytes)
            if let objects = try? IstiodFormats.configz(bytes) {
                for object in objects.prefix(16) { _ = ConfigText.document(object) }
            }
            _ = IstiodFormats.version(String(decoding: bytes, as: UTF8.self))
        case .pem:
            _ = try? PEMCertificates.parse(String(decoding: bytes, as: UTF8.self), source: "fuzz")
        case .apis:
            _ = try? PrometheusAPI.decode(bytes)
            _ = try? MosnFormats.stats(bytes)
            _ = MosnFormats.version(bytes)
            _ = MosnFormats.state(bytes)
            _ = try? MosnFormats.configDocuments(bytes, namespace: "ns", pod: "pod")
            if let dump = try? ZtunnelConfigDump.decode(bytes) {
                _ = ZtunnelTables.workloads(dump)
                _ = ZtunnelTables.certificates(dump, now: Date(timeIntervalSince1970: 0))
                _ = ZtunnelTables.policies(dump)
            }
        }
    }

    /// The target named by `MESHTOP_FUZZ_TARGET` (libFuzzer owns the command line).
    static func fromEnvironment() -> FuzzTarget {
        let name = ProcessInfo.processInfo.environment["MESHTOP_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("meshtop-fuzz: set MESHTOP_FUZZ_TARGET to one of: \(names)\n".utf8))
            exit(2)
        }
        return target
    }
}
