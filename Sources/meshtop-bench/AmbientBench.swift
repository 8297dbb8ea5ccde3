import ArgumentParser
import Foundation
import MeshSim
import MeshSources

/// Decoding one ztunnel's `/config_dump` of a large ambient mesh beside `jq` extracting the same
/// fields from it (issue 21). A ztunnel lists every workload of the mesh (WDS is not scoped to
/// its node) and one certificate entry per identity of its own node's pods, so with 200 nodes of
/// 100 pods one dump holds 20,000 workloads and ~100 identities with real PEM chains.
struct AmbientBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ambient", abstract: "ztunnel config dump decoding vs jq on a generated 200-node ambient mesh.")

    @Option(help: "Nodes of the mesh (one ztunnel each).") var nodes: Int = 200
    @Option(help: "Ambient pods per node.") var podsPerNode: Int = 100
    @Option(help: "Identities (service accounts) on the ztunnel's node.") var identities: Int = 100
    @Option(help: "Runs per measurement (the median is reported).") var runs: Int = 7
    @OptionGroup var output: JSONOutput

    func run() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-bench-ambient-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let path = work.appendingPathComponent("ztunnel-dump.json").path
        let bytes = try Self.dump(nodes: nodes, podsPerNode: podsPerNode, identities: identities)
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        var decoded = ZtunnelConfigDump()
        let ours = try ParseBench.median(runs) { decoded = try ZtunnelConfigDump.decode(bytes) }
        guard decoded.workloads.count == nodes * podsPerNode, decoded.certificates.count == identities else {
            throw ValidationError("decoded \(decoded.workloads.count) workloads and \(decoded.certificates.count) identities, generated \(nodes * podsPerNode) and \(identities)")
        }
        // The fields meshtop keeps: each workload's identity and placement, each certificate's
        // identity, state, serials and dates.
        let program = "[(.workloads[] | [.name, .namespace, .node, .protocol, .serviceAccount, .workloadName, .canonicalName, .canonicalRevision, .waypoint.destination?]),"
            + " (.certificates[] | [.identity, .state, (.certChain[] | [.serialNumber, .validFrom, .expirationTime, .pem])])] | length"
        let jq = try ParseBench.median(max(3, runs / 2)) { try ParseBench.shell(["sh", "-c", "jq '\(program)' \(path) > /dev/null"]) }
        let megabytes = Double(bytes.count) / 1_000_000
        print("ztunnel dump: \(nodes) nodes × \(podsPerNode) pods = \(decoded.workloads.count) workloads, \(decoded.certificates.count) identities, \(String(format: "%.1f", megabytes)) MB")
        print(String(format: "  meshtop ZtunnelConfigDump %8.2f ms  %7.0f MB/s", ours * 1000, megabytes / ours))
        print(String(format: "  jq (same fields)          %8.2f ms  %7.0f MB/s   (anchor)", jq * 1000, megabytes / jq))
        print(String(format: "  ratio: %.1fx jq (goal >= 5x)", jq / ours))
        try output.write([BenchResult(name: "ztunnel dump decode", unit: "MB/s", value: megabytes / ours, anchor: "jq (same fields)",
                                      anchorValue: megabytes / jq, goal: ">= 5x anchor", met: jq / ours >= 5)])
    }

    /// A ztunnel dump in the real shape (fixtures/istio/…/ztunnel/configdump/testdata/dump.json):
    /// every pod of the mesh, a tenth of them behind a waypoint, and the node's identities with
    /// real chains from the simulator's CA.
    static func dump(nodes: Int, podsPerNode: Int, identities: Int) throws -> [UInt8] {
        var random = SimRandom(seed: 21)
        let now = Date()
        let ca = try CertificateAuthority(policy: CertificatePolicy(), now: now, random: &random)
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n") + "\""
        }
        func stamp(_ date: Date) -> String { quoted(date.formatted(.iso8601)) }
        func element(_ certificate: IssuedCertificate) -> String {
            "{\"pem\": \(quoted(certificate.pem)), \"serialNumber\": \(quoted(certificate.serialDecimal)), \"validFrom\": \(stamp(certificate.notBefore)), \"expirationTime\": \(stamp(certificate.notAfter))}"
        }
        var workloads: [String] = []
        workloads.reserveCapacity(nodes * podsPerNode)
        for node in 0..<nodes {
            for pod in 0..<podsPerNode {
                let index = node * podsPerNode + pod
                let namespace = "team-\(index % 40)", app = "svc-\(index % 997)"
                let waypoint = index % 10 == 0 ? ", \"waypoint\": {\"destination\": \"/10.96.\(index % 200).\(index % 250)\", \"port\": 15008}" : ""
                workloads.append("""
                    {"workloadIps": ["10.\(node / 250).\(node % 250).\(pod + 2)"], "protocol": "HBONE"\(waypoint), "uid": "Kubernetes//Pod/\(namespace)/\(app)-v1-5b5d6494f4-\(index)", \
                    "name": "\(app)-v1-5b5d6494f4-\(index)", "namespace": "\(namespace)", "trustDomain": "cluster.local", "serviceAccount": "\(app)", \
                    "workloadName": "\(app)-v1", "workloadType": "deployment", "canonicalName": "\(app)", "canonicalRevision": "v1", "network": "", \
                    "node": "worker-\(node)", "status": "Healthy", "clusterId": "Kubernetes", "services": ["\(namespace)/\(app).\(namespace).svc.cluster.local"]}
                    """)
            }
        }
        var certificates: [String] = []
        for identity in 0..<identities {
            let leaf = try ca.issueLeaf(namespace: "team-\(identity % 40)", serviceAccount: "svc-\(identity)", notBefore: now.addingTimeInterval(-3600),
                                        lifetime: 86400, random: &random)
            certificates.append("{\"identity\": \"spiffe://cluster.local/ns/team-\(identity % 40)/sa/svc-\(identity)\", \"state\": \"Available\", \"certChain\": [\(element(leaf)), \(element(ca.intermediate)), \(element(ca.root))]}")
        }
        let text = "{\"workloads\": [\(workloads.joined(separator: ",\n"))],\n\"services\": [], \"policies\": [],\n\"certificates\": [\(certificates.joined(separator: ",\n"))],\n\"workloadState\": {}}\n"
        return Array(text.utf8)
    }
}
