import Foundation
import MeshModel
import MeshTestSupport
import Testing
@testable import MeshSources

@Suite("istiod and Envoy formats", .enabled(if: Fixtures.available, "../shared/fixtures is absent"))
struct FormatTests {
    @Test("registryz: every service with hostname, ports and VIPs")
    func registryz() throws {
        let services = try IstiodFormats.registryz(Array(try Fixtures.data("kiali/tests/data/registry/registry-registryz.json")))
        #expect(services.count == 79)
        let bookstore = try #require(services.first { $0.name == "bookstore" })
        #expect(bookstore.hostname == "bookstore.electronic-shop.svc.cluster.local")
        #expect(bookstore.ports == [ServicePort(name: "http", port: 8888, protocol: "HTTP")])
        #expect(bookstore.addresses == ["10.217.4.189"])
        let external = try IstiodFormats.registryz(Array(try Fixtures.data("kiali/tests/data/registry/services-registryz.json")))
        #expect(!external.isEmpty)
    }

    @Test("configz: kinds, names and specs; VirtualService routes and DestinationRule subsets are readable")
    func configz() throws {
        let objects = try IstiodFormats.configz(Array(try Fixtures.data("kiali/tests/data/registry/registry-configz.json")))
        #expect(objects.count == 41)
        let rule = try #require(objects.first { $0.kind == "DestinationRule" && $0.name == "mysqldb" })
        #expect(rule.spec["subsets"]?.array.map { $0["name"]?.string } == ["v1", "v2", "v3"])
    }

    static let configDumps = [
        "istio/istioctl/pkg/writer/compare/testdata/configdump.json",
        "istio/istioctl/pkg/proxyconfig/testdata/config_dump.json",
        "istio/istioctl/pkg/describe/testdata/describe/http_config.json",
        "istio/istioctl/pkg/describe/testdata/describe/tls_config.json",
        "istio/istioctl/pkg/writer/envoy/configdump/testdata/secret/istio/config_dump.json",
        "istio/istioctl/pkg/writer/envoy/configdump/testdata/endpoint/configdump.json",
        "istio/istioctl/pkg/writer/envoy/configdump/testdata/ecds/configdump.json",
        "istio/istioctl/pkg/writer/envoy/configdump/testdata/bootstrapdump.json",
        "istio/_at-285c0509f9f4/istioctl/cmd/testdata/describe/productpage-v1-7bbd79f8fd-k6j79.json",
        "istio/_at-8304ab5bdb1b/istioctl/cmd/testdata/describe/productpage-v1-7bbd79f8fd-k6j79.json",
        "istio/_at-285c0509f9f4/istioctl/pkg/writer/compare/testdata/envoyconfigdump.json",
    ]

    @Test("Config dumps decode: v3 and v2alpha, snake_case and camelCase, unknown @types skipped", arguments: configDumps)
    func configDump(_ path: String) throws {
        let dump = try ConfigDumpDecoder.decode(Array(try Fixtures.data(path)))
        #expect(dump.configCount > 0)
        #expect(!dump.clusters.isEmpty || !dump.listeners.isEmpty || !dump.routeConfigs.isEmpty || !dump.secrets.isEmpty || dump.nodeID != nil || dump.istioVersion != nil
                || dump.endpointConfigs > 0 || !dump.skippedTypes.isEmpty, "\(path) gave nothing")
        #expect(dump.clusters.allSatisfy { !$0.name.isEmpty }, "\(path)")
    }

    @Test("Details: cluster names, weighted routes, secrets with PEMs, the v2alpha dump, the waypoint")
    func configDumpDetails() throws {
        let v2 = try ConfigDumpDecoder.decode(Array(try Fixtures.data("istio/_at-8304ab5bdb1b/istioctl/cmd/testdata/describe/productpage-v1-7bbd79f8fd-k6j79.json")))
        #expect(v2.apiVersion == "v2alpha")
        #expect(v2.clusters.contains { $0.name == "outbound|9080||reviews.default.svc.cluster.local" })
        let secrets = try ConfigDumpDecoder.decode(Array(try Fixtures.data("istio/istioctl/pkg/writer/envoy/configdump/testdata/secret/istio/config_dump.json"))).secrets
        #expect(secrets.map(\.name) == ["default", "ROOTCA", "configmap://some/thing"])
        #expect(secrets[2].warming && secrets[1].isTrustBundle)
        let certificates = try PEMCertificates.parse(try #require(secrets[0].certificatePEM), source: "test")
        // istioctl's expected output for this dump: serial 6fbee254…, valid 2023-05-15T01:30:52Z – 2023-05-16T01:32:52Z… per output file.
        #expect(certificates.first?.serial == "6fbee254c22900615cb1f74e3d2f1713")
        let root = try PEMCertificates.parse(try #require(secrets[1].certificatePEM), source: "test")
        #expect(root.first?.serial == "0193a543fe2b0d9cd4847675394dfc54" && root.first?.kind == .root)
        let http = try ConfigDumpDecoder.decode(Array(try Fixtures.data("istio/istioctl/pkg/describe/testdata/describe/http_config.json")))
        #expect(http.routeConfigs.first?.virtualHosts.first?.routes.first?.match == "path /productpage")
    }

    @Test("/clusters JSON (istioctl's camelCase re-marshalling) gives host stats and health")
    func clusters() throws {
        let hosts = try EnvoyFormats.clusters(Array(try Fixtures.data("istio/_at-285c0509f9f4/istioctl/pkg/writer/envoy/clusters/testdata/clusters.json")))
        #expect(hosts.count == 9)
        #expect(hosts.allSatisfy { $0.address.contains(":") && !$0.health.isEmpty })
        #expect(hosts.first?.stats.keys.contains("rq_total") == true)
    }

    @Test("/server_info: version, state, node")
    func serverInfo() throws {
        let info = try EnvoyFormats.serverInfo(Array(try Fixtures.data("integrations-core/envoy/tests/fixtures/legacy/server_info_api_v3")))
        #expect(info.envoyVersion == "1.31.0" && info.state == "LIVE")
    }

    @Test("Malformed input gives an error with a line, never a crash", arguments: [
        "{\"configs\": [", "{\"configs\": [{\"@type\": \"x\"}]} trailing", "[{\"proxy\": \"a\"", "\u{0}\u{1}", "",
    ])
    func malformed(_ text: String) {
        #expect(throws: (any Error).self) { try ConfigDumpDecoder.decode(Array(text.utf8)) }
        #expect(throws: (any Error).self) { try IstiodFormats.syncz(Array(text.utf8)) }
        do { _ = try JSON.parse(Array(text.utf8)) } catch let error as JSONScanner.Failure { #expect(error.line >= 1) } catch {}
    }

    @Test("istiod /version splits around the 40-hex revision, even with dashes in the version")
    func version() {
        let version = IstiodFormats.version("1.23.0-beta.1-0123456789abcdef0123456789abcdef01234567-Clean\n")
        #expect(version.version == "1.23.0-beta.1" && version.status == "Clean")
        #expect(version.revision == "0123456789abcdef0123456789abcdef01234567")
    }

    @Test("Targets files: the simulator's format; bad entries name their position")
    func targets() throws {
        let targets = try TargetsFileReader.parse("- url: \"http://127.0.1.1:15000\"\n  labels:\n    proxy: \"a.default\"\n", name: "t")
        #expect(targets == [ScrapeTarget(url: "http://127.0.1.1:15000", labels: ["proxy": "a.default"])])
        #expect(throws: SourceError.self) { try TargetsFileReader.parse("- labels: {}\n", name: "t") }
        #expect(throws: SourceError.self) { try TargetsFileReader.parse("url: x\n", name: "t") }
    }
}
