import Foundation
import Testing
@testable import MeshModel

@Suite("Mesh model")
struct MeshModelTests {
    @Test("The worst health wins; idle and unknown are not problems")
    func healthOrder() {
        #expect([Health.healthy, .degraded, .idle].max() == .degraded)
        #expect(Health.idle < .degraded && Health.unknown < .warning && Health.failure < .critical)
        let verdict = HealthVerdict.worst(HealthVerdict(.warning, reason: "cert"), HealthVerdict(.failure, reason: "5xx ≥ 10 %"))
        #expect(verdict.reason == "5xx ≥ 10 %")
    }

    @Test("Sync status follows istioctl's nonce rule", arguments: [
        ("", "", nil, ProxyType.sidecar, SyncStatus.notSent),
        ("", "", nil, .ztunnel, .ignored),
        ("a", "a", nil, .sidecar, .synced),
        ("b", "", nil, .sidecar, .staleNeverAcknowledged),
        ("b", "a", nil, .sidecar, .stale),
        ("b", "a", "NACK", .sidecar, .error),
    ] as [(String, String, String?, ProxyType, SyncStatus)])
    func syncRule(sent: String, acked: String, error: String?, type: ProxyType, expected: SyncStatus) {
        #expect(SyncState.derive(sent: sent, acked: acked, lastError: error, proxyType: type) == expected)
    }

    @Test("A snapshot round-trips through JSON and counts proxies by their worst sync state")
    func snapshotCodable() throws {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        let snapshot = MeshSnapshot(
            generatedAt: now,
            services: [Service(name: "reviews", namespace: "default", hostname: "reviews.default.svc.cluster.local",
                               ports: [ServicePort(name: "http", port: 9080, protocol: "HTTP")], versions: ["v1", "v2"])],
            proxies: [
                Proxy(id: "a.default", namespace: "default", podName: "a", sync: [.cds: SyncState(status: .synced), .rds: SyncState(status: .stale)]),
                Proxy(id: "b.default", namespace: "default", podName: "b", sync: [.cds: SyncState(status: .synced)]),
            ],
            edges: [Edge(source: "default/productpage", destination: "default/reviews", versionShare: ["v1": 0.5])],
            routes: [RouteRule(virtualService: "reviews", namespace: "default", hosts: ["reviews"], index: 0,
                               destinations: [WeightedDestination(host: "reviews", subset: "v1", weight: 50)])],
            certificates: [Certificate(serial: "01", kind: .leaf, spiffeID: "spiffe://cluster.local/ns/default/sa/x",
                                       notBefore: now, notAfter: now.addingTimeInterval(86400))],
            findings: [Finding(code: "SYNC_STALE", severity: .warning, subject: "a.default", message: "RDS stale")])
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let decoded = try decoder.decode(MeshSnapshot.self, from: encoder.encode(snapshot))
        #expect(decoded == snapshot)
        #expect(snapshot.syncCounts == [.stale: 1, .synced: 1])
        #expect(snapshot.soonestExpiring?.serial == "01")
    }

    @Test("Certificate arithmetic: time left and share of lifetime used")
    func certificateMath() {
        let start = Date(timeIntervalSince1970: 0)
        let certificate = Certificate(serial: "0a", kind: .leaf, notBefore: start, notAfter: start.addingTimeInterval(100))
        #expect(certificate.lifetimeUsed(at: start.addingTimeInterval(50)) == 0.5)
        #expect(certificate.timeLeft(at: start.addingTimeInterval(30)) == 70)
        #expect(certificate.isExpired(at: start.addingTimeInterval(100)))
        #expect(Workload(name: "reviews-v1", namespace: "default", app: "reviews", version: "v1", serviceAccount: "bookinfo-reviews").spiffeID()
            == "spiffe://cluster.local/ns/default/sa/bookinfo-reviews")
    }
}

@Suite("Terminal text")
struct TerminalTextTests {
    @Test("Escape sequences are dropped whole; other controls, C1 and bidi become '?'; plain text is untouched")
    func clean() {
        #expect(TerminalText.clean("reviews") == "reviews")
        #expect(TerminalText.clean("a\u{1B}]0;owned\u{07}b") == "ab", "OSC to BEL")
        #expect(TerminalText.clean("a\u{1B}]52;c;ZXZpbA==\u{1B}\\b") == "ab", "OSC to ST")
        #expect(TerminalText.clean("a\u{1B}[2J\u{1B}[?1049hb") == "ab", "CSI")
        #expect(TerminalText.clean("a\u{9B}31mb") == "ab", "8-bit CSI")
        #expect(TerminalText.clean("v1\u{08}\u{08}\u{7F}\u{0B}") == "v1????")
        #expect(TerminalText.clean("abc\u{202E}def") == "abc?def")
        #expect(TerminalText.clean("two\nlines\tand\rmore") == "two lines and more")
        #expect(TerminalText.cleanLines("two\nlines\u{1B}[31m red") == "two\nlines red")
        #expect(TerminalText.clean("naïve 名前 ✓") == "naïve 名前 ✓", "printable Unicode stays")
        #expect(TerminalText.clean("dangling\u{1B}") == "dangling")
    }

    @Test("JSON: DEL, C1 and bidi controls escaped, and the escaped text decodes to the same string")
    func json() throws {
        let name = "p\u{1B}[2J\u{9B}31m\u{202E}x\u{7F}"
        let encoded = String(decoding: try JSONEncoder().encode([name]), as: UTF8.self)
        let escaped = TerminalText.escapeJSON(encoded)
        #expect(!escaped.unicodeScalars.contains { $0.value >= 0x7F }, "\(escaped)")
        #expect(try JSONDecoder().decode([String].self, from: Data(escaped.utf8)) == [name])
        #expect(TerminalText.escapeJSON("{\"a\":1}") == "{\"a\":1}")
    }
}
