import ArgumentParser
import Foundation
import MeshModel
import MeshPoller
import MeshSources

/// `meshtop inspect FILE…`: what is this capture, and what does it say?
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Recognise captured files (config dump JSON/YAML, /certs, /clusters, exposition text, syncz, registryz, configz, …) and summarise them.",
        discussion: "Exits 3 with `file:line: reason` when a file is not valid input.")

    @Argument(help: "Captured files.") var files: [String]
    @Option(name: .shortAndLong, help: "text or json.") var output: String = "text"
    @Flag(help: "Validate OpenMetrics exposition text against every rule of the OpenMetrics conformance suite.") var strict = false

    func validate() throws {
        guard ["text", "json"].contains(output) else { throw ValidationError("-o must be text or json") }
        guard !files.isEmpty else { throw ValidationError("give at least one file") }
    }

    func run() throws {
        var summaries: [[String: Any]] = []
        var failed = false
        for file in files {
            do {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw CapturedFile.Failure(file: file, line: 0, reason: "cannot read the file")
                }
                summaries.append(try Self.summary(file: file, bytes: Array(data), strict: strict))
            } catch let failure as CapturedFile.Failure {
                Console.write("\(failure)\n", to: .standardError)
                failed = true
            } catch let error as ExpositionError {
                Console.write("\(file):\(error.line): \(error.reason)\n", to: .standardError)
                failed = true
            } catch let error as JSONScanner.Failure {
                Console.write("\(file):\(error.line): \(error.reason)\n", to: .standardError)
                failed = true
            } catch {
                Console.write("\(file):1: \(error)\n", to: .standardError)
                failed = true
            }
        }
        if output == "json" {
            let data = try JSONSerialization.data(withJSONObject: summaries, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        } else {
            for summary in summaries { Console.write(Self.text(summary) + "\n") }
        }
        if failed { throw ExitCode(3) }
    }

    static func text(_ summary: [String: Any]) -> String {
        var lines = ["\(summary["file"] ?? ""): \(summary["kind"] ?? "")"]
        var tables: [String] = []
        for key in summary.keys.sorted() where key != "file" && key != "kind" {
            let value = summary[key]!
            // istioctl's tables, printed as they are (after the summary) so they can be compared.
            if key.hasSuffix("Table"), let table = value as? String {
                tables.append(table)
                continue
            }
            if let list = value as? [Any] {
                lines.append("  \(key):")
                for item in list { lines.append("    - \(item)") }
            } else if let map = value as? [String: Any] {
                lines.append("  \(key): " + map.keys.sorted().map { "\($0)=\(map[$0]!)" }.joined(separator: " "))
            } else {
                lines.append("  \(key): \(value)")
            }
        }
        return (lines + tables.flatMap { ["", $0.hasSuffix("\n") ? String($0.dropLast()) : $0] }).joined(separator: "\n")
    }

    /// Completed requests per cluster that had any (`cluster.<name>.upstream_rq_completed`).
    static func clusterRequests(_ values: [String: Double]) -> [String: Int] {
        var out: [String: Int] = [:]
        for (name, value) in values where value > 0 {
            if let (cluster, stat) = EnvoyStatName.cluster(name), stat == "upstream_rq_completed" { out[cluster] = Int(value) }
        }
        return out
    }

    static func summary(file: String, bytes: [UInt8], strict: Bool) throws -> [String: Any] {
        let capture = try CapturedFile.detect(bytes, file: file)
        var out: [String: Any] = ["file": file, "kind": capture.kind.rawValue + (capture.yaml ? " (YAML)" : "")]
        let json = capture.json ?? []
        switch capture.kind {
        case .exposition:
            let exposition = try ExpositionParser.parse(bytes, strict: strict)
            out["format"] = exposition.format.rawValue
            out["families"] = exposition.families.count
            out["samples"] = exposition.sampleCount
            out["types"] = Dictionary(grouping: exposition.families, by: \.type.rawValue).mapValues(\.count)
            var requests: [String: Double] = [:]
            for sample in exposition.family("istio_requests_total")?.samples ?? [] { requests[sample.label("reporter") ?? "?", default: 0] += sample.value }
            if !requests.isEmpty { out["istio_requests_total"] = requests }
            out["largest"] = exposition.families.sorted { $0.samples.count > $1.samples.count }.prefix(5).map { "\($0.name) (\($0.type.rawValue), \($0.samples.count) samples)" }
        case .configDump:
            let dump = try ConfigDumpDecoder.decode(json)
            out["api"] = dump.apiVersion ?? "unknown"
            if let node = dump.nodeID { out["node"] = node }
            if let version = dump.istioVersion { out["istioVersion"] = version }
            out["clusters"] = dump.clusters.count
            out["listeners"] = dump.listeners.count
            out["routeConfigs"] = dump.routeConfigs.count
            out["virtualHosts"] = dump.routeConfigs.reduce(0) { $0 + $1.virtualHosts.count }
            if dump.endpointConfigs > 0 { out["endpointConfigs"] = dump.endpointConfigs }
            if dump.configCount == 0 { out["note"] = "nothing to show (what Envoy answers to ?resource= when that field is empty)" }
            var rejected: [String] = []
            for cluster in dump.clusters { if let error = cluster.error { rejected.append("cluster \(cluster.name): \(error)") } }
            for listener in dump.listeners { if let error = listener.error { rejected.append("listener \(listener.name): \(error)") } }
            if !rejected.isEmpty { out["rejected"] = rejected }
            var secrets: [String] = []
            for secret in dump.secrets {
                var line = "\(secret.name)\(secret.warming ? " (warming)" : "")"
                if let pem = secret.certificatePEM, let certificates = try? PEMCertificates.parse(pem, source: file) {
                    line += ": " + certificates.map { "\($0.kind.rawValue) \($0.serial) until \(ISO8601DateFormatter().string(from: $0.notAfter))" }.joined(separator: "; ")
                }
                secrets.append(line)
            }
            if !secrets.isEmpty { out["secrets"] = secrets }
            if !dump.skippedTypes.isEmpty { out["skippedTypes"] = dump.skippedTypes }
        case .ztunnelConfigDump:
            let dump = try ZtunnelConfigDump.decode(json)
            out["workloads"] = dump.workloads.count
            out["services"] = dump.services.count
            out["policies"] = dump.policies.count
            out["identities"] = Dictionary(grouping: dump.certificates, by: \.stateWord).mapValues(\.count)
            if !dump.hasCertificates { out["note"] = "no certificates section: this ztunnel's identities are unknown" }
            let unavailable = dump.certificates.filter { $0.reason != nil }.map { "\($0.identity): \($0.state)" }
            if !unavailable.isEmpty { out["unavailable"] = unavailable }
            if !dump.problems.isEmpty { out["problems"] = dump.problems }
            // As `istioctl ztunnel-config workload|certificate|policy` prints them.
            out["workloadTable"] = ZtunnelTables.workloads(dump)
            out["certificateTable"] = ZtunnelTables.certificates(dump)
            out["policyTable"] = ZtunnelTables.policies(dump)
        case .certs:
            let certificates = try EnvoyFormats.certs(json)
            out["certificates"] = certificates.map { detail in
                "\(detail.isCA ? "CA" : "chain") \(detail.serial) \(detail.sans.first ?? "") until \(detail.expiration.map { ISO8601DateFormatter().string(from: $0) } ?? "?")"
            }
        case .clusters:
            let statuses = try EnvoyFormats.clusterStatuses(json)
            let hosts = statuses.flatMap(\.hosts)
            out["clusters"] = statuses.count
            out["clustersWithoutHosts"] = statuses.filter(\.hosts.isEmpty).count
            out["hosts"] = hosts.count
            out["hostsByHealth"] = Dictionary(grouping: hosts, by: \.health).mapValues(\.count)
            out["requests"] = Int(hosts.reduce(0) { $0 + ($1.stats["rq_total"] ?? 0) })
        case .listeners:
            out["listeners"] = (try JSON.parse(json))["listener_statuses"]?.array.compactMap { $0["name"]?.string } ?? []
        case .serverInfo:
            let info = try EnvoyFormats.serverInfo(json)
            out["version"] = info.version
            out["state"] = info.state
            if let node = info.nodeID { out["node"] = node }
        case .syncz:
            let rows = try IstiodFormats.syncz(json)
            out["proxies"] = rows.count
            var counts: [String: Int] = [:]
            for row in rows { for (_, status) in row.statuses { counts[status.rawValue, default: 0] += 1 } }
            out["statesByType"] = counts
            out["table"] = ProxyStatusTable.render(rows).split(separator: "\n").map(String.init)
        case .registryz:
            let services = try IstiodFormats.registryz(json)
            out["services"] = services.count
            out["byNamespace"] = Dictionary(grouping: services, by: \.namespace).mapValues(\.count)
            out["meshExternal"] = services.filter(\.meshExternal).count
        case .configz:
            let objects = try IstiodFormats.configz(json)
            out["objects"] = objects.count
            out["byKind"] = Dictionary(grouping: objects, by: \.kind).mapValues(\.count)
            let (_, _, findings) = RouteDerivation.derive(configs: objects, registry: [])
            if !findings.isEmpty { out["findings"] = findings.map { "\($0.severity.rawValue) \($0.code) \($0.subject): \($0.message)" } }
        case .statsJSON:
            let (values, quantiles) = try EnvoyFormats.statsJSON(json)
            out["countersAndGauges"] = values.count
            out["histograms"] = quantiles.count
            out["clusterRequests"] = Self.clusterRequests(values)
        case .statsText:
            let (values, readouts, histograms) = try EnvoyFormats.statsText(bytes)
            out["countersAndGauges"] = values.count
            out["textReadouts"] = readouts
            out["histograms"] = histograms
            out["clusterRequests"] = Self.clusterRequests(values)
        case .clustersText:
            let (clusters, hosts) = try EnvoyFormats.clustersText(bytes)
            out["clusters"] = clusters.count
            out["hosts"] = hosts.count
            out["hostsByHealth"] = Dictionary(grouping: hosts, by: \.health).mapValues(\.count)
        case .ready:
            out["state"] = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        case .endpointz:
            let endpoints = try IstiodFormats.endpointz(json)
            out["endpoints"] = endpoints.count
            out["hosts"] = Set(endpoints.map(\.host)).count
            out["unhealthy"] = endpoints.filter { !$0.healthy }.count
        }
        return out
    }
}
