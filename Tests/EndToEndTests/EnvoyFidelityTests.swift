import Foundation
import MeshTestSupport
import Testing

/// The simulator's Envoy admin API beside a real Envoy 1.40's, endpoint by endpoint, for every
/// path meshtop reads: the same fields, with the same JSON types and string formats; the text
/// answers in the same layout. A field the simulator lacks, or types differently, is a defect
/// of the test double.
@Suite("Simulator fidelity against a real Envoy", .serialized, .timingSensitive, .enabled(if: EnvoyBinary.path != nil, Comment(rawValue: EnvoyBinary.missing)))
struct EnvoyFidelityTests {
    /// Every path of a JSON value (`a.b[].c`) with its kind: object, array, bool, number, null,
    /// or a string with its format (timestamp, number, base64, pem, text).
    static func shape(_ value: Any, _ path: String = "", into out: inout [String: Set<String>]) {
        switch value {
        case let object as [String: Any]:
            if !path.isEmpty { out[path, default: []].insert("object") }
            for (key, child) in object { shape(child, path.isEmpty ? key : "\(path).\(key)", into: &out) }
        case let array as [Any]:
            out[path, default: []].insert("array")
            for child in array { shape(child, path + "[]", into: &out) }
        case is Bool where type(of: value) == Bool.self:
            out[path, default: []].insert("bool")
        case is Int, is Double, is NSNumber:
            // Foundation bridges 0 and 1 to Bool too: only a value typed Bool is a JSON boolean.
            out[path, default: []].insert("number")
        case let text as String:
            out[path, default: []].insert("string(\(format(text)))")
        default:
            out[path, default: []].insert("null")
        }
    }

    static func format(_ text: String) -> String {
        if text.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"#, options: .regularExpression) != nil { return "timestamp" }
        if Double(text) != nil { return "number" }
        if text.hasPrefix("-----BEGIN") { return "pem" }
        return "text"
    }

    /// Subtrees whose content is the install's, not the API's (Envoy's extension list, Istio's
    /// node metadata): compared down to their own kind only.
    static let opaque = ["node.extensions", "node.metadata", "node.user_agent_build_version", "command_line_options", "configs[].bootstrap"]

    /// Fields whose format is the install's: `hot_restart_version` is "disabled" under
    /// `--disable-hot-restart` (this harness) and like "11.104" in an Istio sidecar (the fixture).
    static let installDependent: Set = ["hot_restart_version"]

    static func comparable(_ shape: [String: Set<String>]) -> [String: Set<String>] {
        shape.filter { path, _ in
            !installDependent.contains(path) && !opaque.contains { path.hasPrefix($0 + ".") || path.hasPrefix($0 + "[]") }
        }
    }

    struct Comparison {
        var compared = 0
        var differences: [String] = []
    }

    /// Fields of the real answer the simulator lacks or types otherwise.
    static func compare(_ endpoint: String, real: Data, simulated: Data, into result: inout Comparison) {
        guard let realValue = try? JSONSerialization.jsonObject(with: real), let simValue = try? JSONSerialization.jsonObject(with: simulated) else {
            result.differences.append("\(endpoint): not JSON on one side")
            return
        }
        var realShape: [String: Set<String>] = [:], simShape: [String: Set<String>] = [:]
        shape(realValue, into: &realShape)
        shape(simValue, into: &simShape)
        for (path, kinds) in comparable(realShape).sorted(by: { $0.key < $1.key }) {
            result.compared += 1
            guard let simulatedKinds = simShape[path] else {
                result.differences.append("\(endpoint) \(path): missing (real: \(kinds.sorted()))")
                continue
            }
            if !kinds.isSubset(of: simulatedKinds) && !simulatedKinds.isSubset(of: kinds) {
                result.differences.append("\(endpoint) \(path): \(simulatedKinds.sorted()) where Envoy has \(kinds.sorted())")
            }
        }
    }

    @Test("every admin endpoint meshtop reads: the simulator's fields, types and formats are real Envoy 1.40's")
    func sameShapes() async throws {
        let mesh = try await RealEnvoyMesh.start(base: "127.0.84.")
        let sim = try await InProcessSim.start(adminAddressBase: "127.0.85.1")
        do {
            try await Task.sleep(for: .seconds(2))
            let real = try #require(mesh.sidecar("frontend"))
            let simURL = try #require(sim.server.adminURLs()[sim.simulator.topology.proxies.first { $0.type == "sidecar" }!.index])
            var result = Comparison()
            let jsonPaths = ["/server_info", "/certs", "/clusters?format=json", "/config_dump?resource=dynamic_active_secrets",
                             "/config_dump?resource=dynamic_route_configs", "/config_dump?resource=dynamic_active_clusters&mask=cluster.name,cluster.type",
                             "/config_dump?resource=static_clusters&mask=cluster.name,cluster.type", "/stats?format=json"]
            for path in jsonPaths {
                let realAnswer = try await mesh.admin(real, path)
                let simAnswer = try await TestHTTP.getData(simURL + path)
                Self.compare(path, real: realAnswer.body, simulated: simAnswer, into: &result)
            }
            // Text: /clusters lines by their field names, /ready's word, Prometheus text's layout.
            let realClusters = String(decoding: try await mesh.admin(real, "/clusters").body, as: UTF8.self)
            let simClusters = String(decoding: try await TestHTTP.getData(simURL + "/clusters"), as: UTF8.self)
            let fields = { (text: String) in Set(text.split(separator: "\n").map { line -> String in
                let parts = line.components(separatedBy: "::")
                return parts.count == 4 ? "host::\(parts[2])" : parts.dropFirst().first.map { "cluster::\($0)" } ?? "?"
            }) }
            // The harness's clusters are STATIC; the captured frontend's (when present) have EDS lines too.
            var envoyFields = fields(realClusters)
            if Fixtures.available, let captured = try? Fixtures.data("envoy-1.40/frontend/clusters.txt") {
                envoyFields.formUnion(fields(String(decoding: captured, as: UTF8.self)))
            }
            result.compared += envoyFields.count
            for field in fields(simClusters).subtracting(envoyFields) { result.differences.append("/clusters (text): \(field) is not Envoy's") }
            for field in fields(realClusters).subtracting(fields(simClusters)) { result.differences.append("/clusters (text): \(field) missing") }
            let realStats = String(decoding: try await mesh.admin(real, "/stats/prometheus").body, as: UTF8.self)
            let simStats = String(decoding: try await TestHTTP.getData(simURL + "/stats/prometheus"), as: UTF8.self)
            let layout = { (text: String) in (help: text.contains("# HELP "), emptyBraces: text.contains("{} "), type: text.contains("# TYPE ")) }
            result.compared += 3
            if layout(realStats).help != layout(simStats).help { result.differences.append("/stats/prometheus: # HELP lines \(layout(simStats).help) where Envoy has \(layout(realStats).help)") }
            if layout(realStats).emptyBraces != layout(simStats).emptyBraces { result.differences.append("/stats/prometheus: `{}` on samples without labels differs") }
            if !layout(simStats).type { result.differences.append("/stats/prometheus: no # TYPE lines") }
            print("FIDELITY compared \(result.compared) fields; \(result.differences.count) differ")
            #expect(result.differences.isEmpty, "\(result.differences.joined(separator: "\n"))")
        } catch {
            await sim.server.shutdown()
            await mesh.stop()
            throw error
        }
        await sim.server.shutdown()
        await mesh.stop()
    }
}
