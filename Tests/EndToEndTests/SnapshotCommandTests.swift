import Foundation
import MeshTestSupport
import Testing
@testable import MeshSim

/// `meshtop snapshot` against a running `meshtop sim`, as a script would use them.
@Suite("meshtop snapshot end to end", .timingSensitive, .serialized)
struct SnapshotCommandTests {
    static func snapshot(_ arguments: [String]) async throws -> MeshtopProcess.Outcome {
        try await MeshtopProcess.run(["snapshot"] + arguments)
    }

    static func run(_ arguments: [String]) async throws -> MeshtopProcess.Outcome { try await MeshtopProcess.run(arguments) }

    @Test("JSON snapshot: every service with RPS and p99 near the simulator's, STALE proxies, certificates to the second, routes with weights")
    func json() async throws {
        let sim = try await SimProcess.start(["--stale", "2", "--seed", "3"], adminAddressBase: "127.0.50.1")
        defer { sim.stop() }
        let result = try await Self.snapshot(["--istiod", sim.istiod, "--targets-file", sim.targets, "--interval", "30", "-o", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let export = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        try await Self.validateSchema(result.stdout)

        // Expected values from the same seeded mesh, built in-process.
        var options = SimOptions()
        options.seed = 3
        options.staleProxies = 2
        let model = try SimulatorState(options: options)
        let services = export["services"] as! [[String: Any]]
        for service in model.topology.services where !service.isGateway {
            let row = try #require(services.first { $0["name"] as? String == service.name })
            let rps = row["rps"] as! Double
            let expected = model.expectedRPS(service: service.index)
            #expect(abs(rps - expected) / expected < 0.10, "\(service.name): \(rps) rps vs \(expected)")
            let p99 = try #require((row["latencyMs"] as! [String: Double])["p99"])
            let expectedP99 = try #require(model.expectedLatency(service: service.index, quantile: 0.99))
            // 30 s of traffic leaves 6–12 requests above p99: sampling noise allows 15 % here; the
            // 10 % check over long windows is in DerivationTests.
            #expect(abs(p99 - expectedP99) / expectedP99 < 0.15, "\(service.name): p99 \(p99) vs \(expectedP99)")
        }
        let proxies = export["proxies"] as! [[String: Any]]
        let stale = proxies.filter { (($0["sync"] as! [String: [String: Any]])["CDS"]?["state"] as? String) == "STALE" }
        #expect(stale.count == 2)
        // Certificates: compare not-after with what the proxies' /certs report.
        let certs = export["certs"] as! [[String: Any]]
        #expect(certs.contains { $0["kind"] as? String == "root" } && certs.contains { $0["kind"] as? String == "intermediate" })
        #expect(certs.filter { $0["kind"] as? String == "leaf" }.count == 7)
        let formatter = ISO8601DateFormatter()
        for cert in certs {
            #expect(formatter.date(from: cert["notAfter"] as! String) != nil)
        }
        let routes = export["routes"] as! [[String: Any]]
        let reviews = try #require(routes.first { $0["virtualService"] as? String == "reviews" })
        #expect((reviews["destinations"] as! [[String: Any]]).map { $0["weight"] as? Int } == [50, 30, 20])
    }

    @Test("--check: 2 with an expired certificate, 1 for warnings with --fail-on warning, 0 otherwise")
    func check() async throws {
        let expired = try await SimProcess.start(["--scenario", "cert-expired workload=ratings-v1 ago=1h at=0s"], adminAddressBase: "127.0.51.1")
        defer { expired.stop() }
        try await Task.sleep(nanoseconds: 1_200_000_000)
        let critical = try await Self.snapshot(["--istiod", expired.istiod, "--targets-file", expired.targets, "--interval", "1", "--check", "-o", "text", "--section", "findings"])
        #expect(critical.status == 2, "\(critical.stderr)")
        #expect(String(decoding: critical.stdout, as: UTF8.self).contains("CERT_EXPIRED"))

        let stale = try await SimProcess.start(["--stale", "1"], adminAddressBase: "127.0.52.1")
        defer { stale.stop() }
        let warning = try await Self.snapshot(["--istiod", stale.istiod, "--targets-file", stale.targets, "--interval", "1", "--check", "--fail-on", "warning", "-o", "json"])
        #expect(warning.status == 1)
        let ok = try await Self.snapshot(["--istiod", stale.istiod, "--targets-file", stale.targets, "--interval", "1", "--check", "-o", "yaml"])
        #expect(ok.status == 0)
        #expect(String(decoding: ok.stdout, as: UTF8.self).hasPrefix("schemaVersion: 1"))
    }

    @Test("--check thresholds come from the configuration, per-service overrides included")
    func checkThresholdsFromConfig() async throws {
        // 3 % 5xx on reviews; the simulator's other services answer under 1 % 5xx.
        let sim = try await SimProcess.start(["--scenario", "error-spike service=reviews at=0s for=10m rate=0.03", "--seed", "4"], adminAddressBase: "127.0.53.1")
        defer { sim.stop() }
        let arguments = ["--istiod", sim.istiod, "--targets-file", sim.targets, "--interval", "3", "--check", "--fail-on", "warning", "-o", "text",
                         "--section", "findings"]
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-check-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: config) }
        // Degraded from 2 % of 5xx: only reviews is.
        try "thresholds: {serverErrorDegraded: 0.02}\n".write(to: config, atomically: true, encoding: .utf8)
        let degraded = try await Self.snapshot(arguments + ["--config", config.path])
        let text = String(decoding: degraded.stdout, as: UTF8.self)
        #expect(degraded.status == 1, "\(degraded.stderr)")
        #expect(text.contains("SERVICE_DEGRADED") && text.contains("service default/reviews"), "\(text)")
        #expect(degraded.stderr.contains("--check: 0 critical, 1 warning → exit 1"), "\(degraded.stderr)")
        // The same mesh with reviews allowed 5 % of 5xx: nothing to report.
        try "thresholds: {serverErrorDegraded: 0.02}\nservices:\n  default/reviews: {serverErrorDegraded: 0.05}\n".write(to: config, atomically: true, encoding: .utf8)
        let tolerated = try await Self.snapshot(arguments + ["--config", config.path])
        #expect(tolerated.status == 0, "\(String(decoding: tolerated.stdout, as: UTF8.self)) \(tolerated.stderr)")
        // And a global failure threshold of 2 % makes it critical: exit 2 whatever --fail-on says.
        try "thresholds: {serverErrorDegraded: 0.02, serverErrorFailure: 0.025}\n".write(to: config, atomically: true, encoding: .utf8)
        let failing = try await Self.snapshot(arguments + ["--config", config.path])
        #expect(failing.status == 2, "\(failing.stderr)")
        #expect(String(decoding: failing.stdout, as: UTF8.self).contains("SERVICE_FAILING"))
    }

    @Test("Unreachable istiod exits 3 naming the source; usage errors exit 64")
    func failures() async throws {
        let unreachable = try await Self.snapshot(["--istiod", "http://127.0.0.1:9", "--interval", "0", "--timeout", "2"])
        #expect(unreachable.status == 3)
        #expect(unreachable.stderr.contains("istiod http://127.0.0.1:9/debug/syncz"))
        #expect(try await Self.snapshot(["-o", "xml", "--istiod", "http://x"]).status == 64)
        #expect(try await Self.snapshot(["-o", "csv", "--istiod", "http://x"]).status == 64)
        // No source at all, and no kubeconfig to fall back on (an empty home, no KUBECONFIG).
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-home-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        #expect(try await MeshtopProcess.run(["snapshot"], environment: ["HOME": home.path, "PATH": "/usr/bin:/bin"]).status == 64)
    }

    /// Control characters, DEL, C1 controls and bidi controls in text meant for a terminal.
    static func unsafeCharacters(_ text: String, allowNewlines: Bool = true) -> [String] {
        text.unicodeScalars.filter { scalar in
            let value = scalar.value
            return (value < 0x20 && !(allowNewlines && value == 0x0A)) || (0x7F...0x9F).contains(value)
                || (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value)
        }.map { String(format: "U+%04X", $0.value) }
    }

    @Test("--hostile-names: text, CSV, YAML, JSON and stderr carry no control characters; JSON still decodes to the names")
    func hostileNames() async throws {
        let sim = try await SimProcess.start(["--hostile-names"], adminAddressBase: "127.0.182.1")
        defer { sim.stop() }
        for (output, section) in [("text", nil), ("csv", "services"), ("csv", "routes"), ("csv", "edges"), ("yaml", nil), ("json", nil)] as [(String, String?)] {
            let result = try await Self.snapshot(["--istiod", sim.istiod, "--targets-file", sim.targets, "--interval", "1", "-o", output]
                + (section.map { ["--section", $0] } ?? []))
            #expect(result.status == 0, "\(output): \(result.stderr)")
            let text = String(decoding: result.stdout, as: UTF8.self)
            #expect(Self.unsafeCharacters(text).isEmpty, "\(output) \(section ?? ""): \(Set(Self.unsafeCharacters(text)))")
            #expect(Self.unsafeCharacters(result.stderr).isEmpty, "stderr of \(output)")
            #expect(text.contains("productpage"), "\(output) lists the renamed service")
            if output == "json" {
                // Escaped, not lost: the JSON decodes to the service's real (hostile) name.
                let export = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
                let names = (export["services"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                #expect(names.contains { $0.hasPrefix("productpage\u{1B}]0;owned") }, "\(names)")
            }
        }
        // A source's error that quotes remote text is cleaned too (the YAML reader quotes the line).
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString).yaml")
        try Data("- url: \"http://127.0.0.1:1\"\n  labels: {app: \"a\u{1B}[2Jb\u{07}\"}\n".utf8).write(to: bad)
        defer { try? FileManager.default.removeItem(at: bad) }
        let failed = try await Self.snapshot(["--istiod", sim.istiod, "--targets-file", bad.path, "-o", "text"])
        #expect(failed.status != 0 && !failed.stderr.isEmpty)
        #expect(Self.unsafeCharacters(failed.stderr).isEmpty, "\(failed.stderr)")
    }

    static let fixtures = Fixtures.root.path

    @Test("inspect takes every real Envoy 1.40 output: /stats (JSON and text), /clusters (JSON and text), /ready, {} and include_eds, nothing skipped",
          .enabled(if: FileManager.default.fileExists(atPath: fixtures), "../shared/fixtures is absent"))
    func inspectRealEnvoy() async throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString.prefix(6)).json")
        try Data("{}\n".utf8).write(to: empty)
        defer { try? FileManager.default.removeItem(at: empty) }
        let base = "\(Self.fixtures)/envoy-1.40/reviews-v2/"
        let files = [("stats.json", "/stats?format=json"), ("stats.txt", "/stats"), ("clusters.json", "/clusters"), ("clusters.txt", "/clusters (text)"),
                     ("ready.txt", "/ready"), ("config_dump-include_eds.json", "config dump"), ("config_dump.json", "config dump"),
                     ("certs.json", "/certs"), ("server_info.json", "/server_info"), ("stats-prometheus.txt", "exposition text")]
        let result = try await Self.run(["inspect", "-o", "json"] + files.map { base + $0.0 } + [empty.path])
        #expect(result.status == 0, "\(result.stderr)")
        let summaries = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]])
        #expect(summaries.map { $0["kind"] as? String } == files.map { $0.1 } + ["config dump"])
        #expect(summaries.allSatisfy { $0["skippedTypes"] == nil }, "\(summaries.compactMap { $0["skippedTypes"] })")
        #expect(summaries[2]["clusters"] as? Int == 8 && summaries[2]["clustersWithoutHosts"] as? Int == 2, "every cluster, with hosts or not")
        #expect(summaries[3]["clusters"] as? Int == 8)
        #expect(summaries[4]["state"] as? String == "LIVE")
        #expect(summaries[5]["endpointConfigs"] as? Int == 8)
        #expect((summaries[0]["clusterRequests"] as? [String: Int])?["outbound|9080||ratings.default.svc.cluster.local"] == 42)
        #expect(summaries.last?["note"] as? String != nil)
    }

    @Test("inspect recognises captures (JSON and YAML config dumps, syncz, configz, exposition) and summarises them",
          .enabled(if: FileManager.default.fileExists(atPath: fixtures), "../shared/fixtures is absent"))
    func inspect() async throws {
        let files = [
            ("istio/istioctl/pkg/authz/testdata/configdump.yaml", "config dump"), // JSON text, despite the name
            ("istio/istioctl/pkg/writer/envoy/configdump/testdata/secret/istio/config_dump.json", "config dump"),
            ("kiali/tests/data/registry/registry-syncz.json", "syncz"),
            ("kiali/tests/data/registry/registry-registryz.json", "registryz"),
            ("kiali/tests/data/registry/registry-configz.json", "configz"),
            ("kuma/app/kuma-dp/pkg/dataplane/metrics/testdata/counter.in", "exposition text"),
            ("istio/_at-285c0509f9f4/istioctl/pkg/writer/envoy/clusters/testdata/clusters.json", "/clusters"),
            ("integrations-core/envoy/tests/fixtures/server_info", "/server_info"),
        ]
        let result = try await Self.run(["inspect", "-o", "json"] + files.map { "\(Self.fixtures)/\($0.0)" })
        #expect(result.status == 0, "\(result.stderr)")
        let summaries = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]])
        #expect(summaries.map { $0["kind"] as? String } == files.map { $0.1 })
        #expect(summaries[2]["proxies"] as? Int == 34)

        // A ztunnel dump (it has `certificates`, but is no /certs): istioctl's tables as istioctl prints them.
        let ztunnel = "\(Self.fixtures)/istio/istioctl/pkg/writer/ztunnel/configdump/testdata/"
        let text = try await Self.run(["inspect", ztunnel + "dump.json"])
        #expect(text.status == 0, "\(text.stderr)")
        let printed = String(decoding: text.stdout, as: UTF8.self)
        #expect(printed.hasPrefix(ztunnel + "dump.json: ztunnel config dump\n") && printed.contains("identities: Available=1 Initializing=1 Unavailable=2"))
        for golden in ["workloadsummary.txt", "secretsummary.txt", "policies.txt"] {
            let table = try String(contentsOfFile: ztunnel + golden, encoding: .utf8)
            #expect(printed.contains("\n\n" + table), "\(golden) as istioctl prints it")
        }

        let yaml = FileManager.default.temporaryDirectory.appendingPathComponent("dump-\(UUID().uuidString).yaml")
        try Data("""
            configs:
            - '@type': type.googleapis.com/envoy.admin.v3.ClustersConfigDump
              dynamic_active_clusters:
              - version_info: "2024-01-01T00:00:00Z/3"
                cluster:
                  '@type': type.googleapis.com/envoy.config.cluster.v3.Cluster
                  name: outbound|9080||reviews.default.svc.cluster.local
                  type: EDS

            """.utf8).write(to: yaml)
        defer { try? FileManager.default.removeItem(at: yaml) }
        let converted = try await Self.run(["inspect", "-o", "json", yaml.path])
        let summary = try #require((try JSONSerialization.jsonObject(with: converted.stdout) as? [[String: Any]])?.first)
        #expect(summary["kind"] as? String == "config dump (YAML)" && summary["clusters"] as? Int == 1)
    }

    @Test("inspect exits 3 with file:line: reason on invalid input")
    func inspectErrors() async throws {
        let directory = FileManager.default.temporaryDirectory
        let json = directory.appendingPathComponent("bad-\(UUID().uuidString).json")
        let prom = directory.appendingPathComponent("bad-\(UUID().uuidString).prom")
        try Data("{\"configs\": [\n {\"@type\": \"x\",\n  \"bad\": tru }\n".utf8).write(to: json)
        try Data("ok 1\nbad{x=2} 3\n".utf8).write(to: prom)
        defer { try? FileManager.default.removeItem(at: json); try? FileManager.default.removeItem(at: prom) }
        let result = try await Self.run(["inspect", json.path, prom.path])
        #expect(result.status == 3)
        #expect(result.stderr.contains("\(json.path):3: invalid JSON"))
        #expect(result.stderr.contains("\(prom.path):2: label value of x is not quoted"))
    }

    @Test("config init writes a commented example once; snapshot reads --config; a broken file is a usage error")
    func configuration() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-config-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("config.yaml").path
        #expect(try await Self.run(["config", "init", "--path", path]).status == 0)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("serverErrorFailure"))
        #expect(try await Self.run(["config", "init", "--path", path]).status == 64, "refuses to overwrite")
        try "istiod: [\"http://127.0.0.1:9\"]\ntimeout: 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let unreachable = try await Self.snapshot(["--config", path, "--interval", "0"])
        #expect(unreachable.status == 3 && unreachable.stderr.contains("http://127.0.0.1:9/debug/syncz"))
        try "istiod: [unclosed\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try await Self.snapshot(["--config", path]).status == 64)
    }

    /// Validates against schemas/snapshot-v1.schema.json with Python's jsonschema.
    static func validateSchema(_ data: Data) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("snapshot-\(UUID().uuidString).json")
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1])); document = json.load(open(sys.argv[2]))
            jsonschema.Draft202012Validator(schema).validate(document)
            """, PackagePaths.root.appendingPathComponent("schemas/snapshot-v1.schema.json").path, file.path])
        #expect(result.status == 0, "schema validation: \(result.stderr.suffix(600))")
    }
}
