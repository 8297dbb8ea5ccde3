import Foundation
import MeshTestSupport
import NIOSSL
import Testing
@testable import MeshSources

/// The provider's clock, moved by hand: expiry and the rejection window without waiting.
final class KubeTestClock: @unchecked Sendable {
    private let lock = NSLock()
    /// 2030-01-01T00:00:00Z, the day the plugins' expirationTimestamps are written for.
    private var current = Date(timeIntervalSince1970: 1_893_456_000)

    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
}

func kubeFailure<T>(_ body: () async throws -> T) async -> SourceError? {
    do { _ = try await body(); return nil } catch let error as SourceError { return error } catch {
        Issue.record("not a SourceError: \(error)")
        return nil
    }
}

@Suite("Kubernetes credentials: tokens, token files, exec plugins, TLS")
struct KubeCredentialTests {
    static let v1 = "client.authentication.k8s.io/v1"
    static let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// A /bin/sh plugin that counts its runs in `runs`, keeps its KUBERNETES_EXEC_INFO in `info`
    /// and its environment in `env`, then runs `body` — which may use `$n`, the run's number.
    static func plugin(_ scratch: KubeScratch, _ body: String) throws -> String {
        try scratch.write("plugin", """
            #!/bin/sh
            echo run >> "\(scratch.path)/runs"
            n=$(wc -l < "\(scratch.path)/runs" | tr -d ' ')
            printf '%s' "$KUBERNETES_EXEC_INFO" > "\(scratch.path)/info"
            env > "\(scratch.path)/env"
            \(body)
            """, executable: true)
    }

    static func printing(_ json: String) -> String { "cat <<JSON\n\(json)\nJSON" }

    static func credential(_ status: String, apiVersion: String = v1) -> String {
        printing(#"{"kind":"ExecCredential","apiVersion":"\#(apiVersion)","status":{\#(status)}}"#)
    }

    /// The resolved context of user alice, whose exec entry is `exec` (flow-mapping fields after apiVersion).
    static func context(_ scratch: KubeScratch, exec: String, apiVersion: String = v1, cluster: String = "") throws -> ResolvedKubeContext {
        try Kubeconfig.parse("""
            clusters: [{name: c, cluster: {server: https://k.example:6443\(cluster)}}]
            users: [{name: alice, user: {exec: {apiVersion: \(apiVersion), \(exec)}}}]
            contexts: [{name: x, context: {cluster: c, user: alice}}]
            current-context: x
            """, file: scratch.path + "/config").resolve(context: nil, namespace: nil)
    }

    static func provider(_ scratch: KubeScratch, body: String, exec: String = "interactiveMode: Never", clock: KubeTestClock = KubeTestClock(),
                         interactive: Bool = false, timeout: Duration = .seconds(30)) throws -> KubeCredentialProvider {
        let command = try plugin(scratch, body)
        return KubeCredentialProvider(
            context: try context(scratch, exec: "command: \(command), env: [{name: PLUGIN_VAR, value: from-kubeconfig}], \(exec)"),
            interactive: interactive, environment: ["PATH": "/usr/bin:/bin", "MESHTOP_SIDE": "inherited"],
            execTimeout: timeout, now: { clock.now })
    }

    static func runs(_ scratch: KubeScratch) -> Int { scratch.read("runs").split(separator: "\n").count }

    @Test("A static token is handed out as it is and never printed")
    func staticToken() async throws {
        let context = ResolvedKubeContext(contextName: "x", clusterName: "c", userName: "u", server: "https://k", namespace: "default",
                                          tls: KubeTLSSettings(), auth: .token(Credential("s3cr3t")))
        let token = try #require(try await KubeCredentialProvider(context: context).bearer())
        #expect(token.revealed == "s3cr3t" && !"\(token) \(context)".contains("s3cr3t"))
    }

    @Test("A token file is read again when its size, modification time or inode changes, and after a 401")
    func tokenFileRotation() async throws {
        let scratch = try KubeScratch()
        let file = try scratch.write("token", "token-one\n")
        let stamp = Date(timeIntervalSince1970: 1_800_000_000)
        try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: file)
        let context = ResolvedKubeContext(contextName: "x", clusterName: "c", userName: "u", server: "https://k", namespace: "default",
                                          tls: KubeTLSSettings(), auth: .tokenFile(file))
        let provider = KubeCredentialProvider(context: context)
        #expect(try await provider.bearer()?.revealed == "token-one")
        try scratch.write("token", "token-two\n")
        try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: file)
        #expect(try await provider.bearer()?.revealed == "token-one", "same size, time and inode: the cached token")
        await provider.rejected()
        #expect(try await provider.bearer()?.revealed == "token-two", "a 401 reads it again")
        try scratch.write("token", "token-three\n")
        try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: file)
        #expect(try await provider.bearer()?.revealed == "token-three", "a new size")
        try scratch.write("token", "token-four!\n")
        try FileManager.default.setAttributes([.modificationDate: stamp.addingTimeInterval(60)], ofItemAtPath: file)
        #expect(try await provider.bearer()?.revealed == "token-four!", "a new modification time")
        try FileManager.default.removeItem(atPath: file)
        let gone = try #require(await kubeFailure { try await provider.bearer() })
        #expect(gone.description.contains("tokenFile \(file): cannot read the token: No such file or directory"), "\(gone)")
    }

    @Test("A service account token swapped the kubelet's way (a new ..data directory behind the same symlink) is picked up")
    func serviceAccountSymlinkSwap() async throws {
        let scratch = try KubeScratch()
        let stamp = Date(timeIntervalSince1970: 1_800_000_000)
        for (directory, token) in [("..2030_01", "rotated-a"), ("..2030_02", "rotated-b")] {
            let file = try scratch.write("\(directory)/token", token)
            try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: file)
        }
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/..data", withDestinationPath: "..2030_01")
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/token", withDestinationPath: "..data/token")
        try scratch.write("namespace", "default")
        let context = try #require(try InClusterConfig.detect(
            environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"], serviceAccountDirectory: scratch.path))
        let provider = KubeCredentialProvider(context: context)
        #expect(try await provider.bearer()?.revealed == "rotated-a")
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/..data_tmp", withDestinationPath: "..2030_02")
        #expect(rename(scratch.path + "/..data_tmp", scratch.path + "/..data") == 0)
        #expect(try await provider.bearer()?.revealed == "rotated-b")
    }

    @Test("An exec plugin's token is cached until its expirationTimestamp (less the margin), then the plugin runs again")
    func execExpiry() async throws {
        let scratch = try KubeScratch()
        let clock = KubeTestClock()
        let provider = try Self.provider(scratch, body: Self.credential(#""token":"exec-$n","expirationTimestamp":"2030-01-01T01:00:00Z""#), clock: clock)
        #expect(try await provider.bearer()?.revealed == "exec-1")
        clock.advance(3_000)
        #expect(try await provider.bearer()?.revealed == "exec-1")
        #expect(Self.runs(scratch) == 1)
        clock.advance(600 - KubeCredentialProvider.expiryMargin + 1)
        #expect(try await provider.bearer()?.revealed == "exec-2")
        #expect(Self.runs(scratch) == 2)
        #expect(try await provider.clientIdentity() == nil)
    }

    @Test("Concurrent requests share one plugin run")
    func execSharedRun() async throws {
        let scratch = try KubeScratch()
        let provider = try Self.provider(scratch, body: "sleep 0.3\n" + Self.credential(#""token":"shared-$n""#))
        let tokens = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<5 { group.addTask { try await provider.bearer()?.revealed } }
            return try await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(tokens == Array(repeating: "shared-1", count: 5) && Self.runs(scratch) == 1)
    }

    @Test("After a 401 the plugin runs once more; if that fresh credential is rejected too, bearer() says so instead of looping")
    func execRejected() async throws {
        let scratch = try KubeScratch()
        let clock = KubeTestClock()
        let provider = try Self.provider(scratch, body: Self.credential(#""token":"exec-$n""#), clock: clock)
        #expect(try await provider.bearer()?.revealed == "exec-1")
        #expect(try await provider.bearer()?.revealed == "exec-1", "no expirationTimestamp: kept until rejected")
        await provider.rejected()
        await provider.rejected()
        #expect(try await provider.bearer()?.revealed == "exec-2", "two 401s for one credential cost one run")
        await provider.rejected()
        let refused = try #require(await kubeFailure { try await provider.bearer() })
        #expect(refused.source == "kubeconfig user alice exec plugin \(scratch.path)/plugin")
        #expect(refused.description.contains("rejects the credential of exec plugin"), "\(refused)")
        #expect(await kubeFailure { try await provider.bearer() } != nil)
        #expect(Self.runs(scratch) == 2)
        clock.advance(31)
        #expect(try await provider.bearer()?.revealed == "exec-3", "after the window the plugin is tried again")
        clock.advance(31)
        await provider.rejected()
        #expect(try await provider.bearer()?.revealed == "exec-4", "a credential that served past the window reset the refusal")
        await provider.rejected(Credential("exec-3"))
        #expect(try await provider.bearer()?.revealed == "exec-4", "a late 401 for a replaced credential does not count against the new one")
        await provider.rejected(Credential("exec-4"))
        let again = await kubeFailure { try await provider.bearer() }
        #expect(again?.description.contains("rejects the credential of exec plugin") == true && Self.runs(scratch) == 4)
    }

    @Test("KUBERNETES_EXEC_INFO holds kind, apiVersion and spec.interactive, and spec.cluster only with provideClusterInfo")
    func execInfo() async throws {
        let scratch = try KubeScratch()
        let body = Self.credential(#""token":"t""#)
        _ = try await Self.provider(scratch, body: body).bearer()
        #expect(scratch.read("info") == #"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}"#)
        let env = scratch.read("env")
        #expect(env.contains("PLUGIN_VAR=from-kubeconfig\n") && env.contains("MESHTOP_SIDE=inherited\n"), "\(env)")

        let command = try Self.plugin(scratch, body)
        let context = try Self.context(scratch, exec: "command: \(command), interactiveMode: IfAvailable, provideClusterInfo: true",
                                       cluster: ", certificate-authority-data: \(kubeBase64("CA PEM")), tls-server-name: api.internal")
        _ = try await KubeCredentialProvider(context: context, interactive: true, environment: ["PATH": "/usr/bin:/bin"]).bearer()
        #expect(scratch.read("info") == #"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"cluster":"#
            + #"{"certificate-authority-data":"\#(kubeBase64("CA PEM"))","server":"https://k.example:6443","tls-server-name":"api.internal"},"#
            + #""interactive":true}}"#)
    }

    @Test("interactiveMode Never is never interactive; Always without a terminal is an error that says the plugin needs one")
    func interactiveModes() async throws {
        let scratch = try KubeScratch()
        _ = try await Self.provider(scratch, body: Self.credential(#""token":"t""#), interactive: true).bearer()
        #expect(scratch.read("info").contains(#""interactive":false"#))
        let always = try Self.provider(scratch, body: Self.credential(#""token":"t""#), exec: "interactiveMode: Always")
        let error = try #require(await kubeFailure { try await always.bearer() })
        #expect(error.description.contains("needs a terminal"), "\(error)")
    }

    @Test("v1beta1 plugins work (fractional-second expiry too); a plugin answering another apiVersion than configured is refused")
    func apiVersions() async throws {
        let scratch = try KubeScratch()
        let beta = "client.authentication.k8s.io/v1beta1"
        let command = try Self.plugin(scratch, Self.credential(#""token":"beta","expirationTimestamp":"2030-01-01T00:30:00.250Z""#, apiVersion: beta))
        let context = try Self.context(scratch, exec: "command: \(command)", apiVersion: beta)
        #expect(try await KubeCredentialProvider(context: context, environment: ["PATH": "/usr/bin:/bin"]).bearer()?.revealed == "beta")
        let mismatch = try Self.provider(scratch, body: Self.credential(#""token":"t""#, apiVersion: beta))
        let error = try #require(await kubeFailure { try await mismatch.bearer() })
        #expect(error.description.contains("answered apiVersion \(beta), not \(Self.v1)"), "\(error)")
    }

    @Test("A plugin that is not installed shows the installHint")
    func missingCommand() async throws {
        let scratch = try KubeScratch()
        let context = try Self.context(scratch, exec: #"command: meshtop-no-such-plugin, interactiveMode: Never, installHint: "Install it:\n  brew install it""#)
        let error = try #require(await kubeFailure { try await KubeCredentialProvider(context: context, environment: ["PATH": "/usr/bin:/bin"]).bearer() })
        #expect(error.description == "kubeconfig user alice exec plugin meshtop-no-such-plugin: meshtop-no-such-plugin is not on PATH: Install it:   brew install it")
    }

    @Test("A failing plugin's exit status and first stderr lines are in the error; its stdout never is")
    func failingPlugin() async throws {
        let scratch = try KubeScratch()
        let failing = try Self.provider(scratch, body: "echo 'error: SSO session expired' >&2\necho 'run aws sso login' >&2\nexit 3")
        let error = try #require(await kubeFailure { try await failing.bearer() })
        #expect(error.description.hasSuffix("exited with status 3: error: SSO session expired | run aws sso login"), "\(error)")
        let garbage = try Self.provider(scratch, body: "echo 'token: super-secret-value'")
        let notJSON = try #require(await kubeFailure { try await garbage.bearer() })
        #expect(notJSON.description.contains("no ExecCredential") && !notJSON.description.contains("super-secret"), "\(notJSON)")
        let half = try Self.provider(scratch, body: Self.credential(#""clientCertificateData":"CERT""#))
        #expect(await kubeFailure { try await half.bearer() }?.description.contains("without the other") == true)
    }

    @Test("A plugin that hangs is killed, with its children, at the timeout")
    func hangingPlugin() async throws {
        let scratch = try KubeScratch()
        let hanging = try Self.provider(scratch, body: "sleep 20", timeout: .milliseconds(500))
        let started = Date()
        let error = try #require(await kubeFailure { try await hanging.bearer() })
        #expect(error.description.contains("still running after 0.5 s: killed"), "\(error)")
        #expect(Date().timeIntervalSince(started) < 10, "the sleep holding stdout was killed too")
    }

    @Test("A plugin's client certificate and key are the client identity; a kubeconfig's own certificate otherwise")
    func execClientCertificate() async throws {
        let scratch = try KubeScratch()
        let provider = try Self.provider(scratch, body: Self.credential(#""clientCertificateData":"CERT\nPEM","clientKeyData":"KEY\nPEM""#))
        #expect(try await provider.bearer() == nil)
        let identity = try #require(try await provider.clientIdentity())
        #expect(identity.certificatePEM == kubeBytes("CERT\nPEM") && identity.keyPEM == kubeBytes("KEY\nPEM") && Self.runs(scratch) == 1)
        let context = ResolvedKubeContext(contextName: "x", clusterName: "c", userName: "u", server: "https://k", namespace: "default",
                                          tls: KubeTLSSettings(clientCertificatePEM: kubeBytes("C"), clientKeyPEM: kubeBytes("K")), auth: .clientCertificate)
        #expect(try await KubeCredentialProvider(context: context).clientIdentity()?.keyPEM == kubeBytes("K"))
    }

    /// A self-signed certificate and its key from openssl, with the key also in its traditional (SEC 1 / PKCS #1) form.
    static func generate(_ scratch: KubeScratch, _ keyArguments: [String], traditional: [String]) async throws -> (cert: [UInt8], keys: [[UInt8]]) {
        let openssl = URL(fileURLWithPath: try #require(Self.openssl))
        let (key, cert, old) = (scratch.path + "/key.pem", scratch.path + "/cert.pem", scratch.path + "/old.pem")
        let made = try await ProcessRunner.run(openssl, ["req", "-x509"] + keyArguments + ["-nodes", "-subj", "/CN=x", "-days", "1", "-keyout", key, "-out", cert])
        try #require(made.status == 0, "\(made.stderr)")
        let converted = try await ProcessRunner.run(openssl, traditional + ["-in", key, "-out", old])
        try #require(converted.status == 0, "\(converted.stderr)")
        return (kubeBytes(try String(contentsOfFile: cert, encoding: .utf8)), [key, old].map { kubeBytes((try? String(contentsOfFile: $0, encoding: .utf8)) ?? "") })
    }

    @Test("TLS from generated PEMs: the CA as the only trust, EC and RSA client keys in every PEM form, insecure, bad PEM named",
          .enabled(if: KubeCredentialTests.openssl != nil, "openssl is not installed"))
    func tlsConfiguration() async throws {
        let scratch = try KubeScratch()
        let ec = try await Self.generate(scratch, ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"], traditional: ["ec"])
        let rsa = try await Self.generate(scratch, ["-newkey", "rsa:2048"], traditional: ["rsa", "-traditional"])
        #expect(String(decoding: ec.keys[1], as: UTF8.self).contains("BEGIN EC PRIVATE KEY"))
        #expect(String(decoding: rsa.keys[1], as: UTF8.self).contains("BEGIN RSA PRIVATE KEY"))
        for (cert, key) in ec.keys.map({ (ec.cert, $0) }) + rsa.keys.map({ (rsa.cert, $0) }) {
            let settings = KubeTLSSettings(certificateAuthorityPEM: ec.cert + rsa.cert, clientCertificatePEM: cert, clientKeyPEM: key)
            let configuration = try KubeTLS.configuration(settings, identity: nil)
            guard case let .certificates(roots) = configuration.trustRoots else { Issue.record("CA not the trust roots"); continue }
            #expect(roots.count == 2 && configuration.certificateChain.count == 1 && configuration.privateKey != nil)
            #expect(configuration.certificateVerification == .fullVerification)
            _ = try NIOSSLContext(configuration: configuration)
        }
        let plugin = try KubeTLS.configuration(KubeTLSSettings(), identity: (rsa.cert, rsa.keys[0]))
        #expect(plugin.certificateChain.count == 1 && plugin.trustRoots == .default, "no CA: the system's roots")
        let mismatched = kubeFailure { try KubeTLS.configuration(KubeTLSSettings(), identity: (ec.cert, rsa.keys[0])) }
        #expect(mismatched?.description.contains("client-certificate and client-key do not load together") == true, "\(String(describing: mismatched))")
        #expect(try KubeTLS.configuration(KubeTLSSettings(insecureSkipTLSVerify: true), identity: nil).certificateVerification == .none)
        let badCA = kubeFailure { try KubeTLS.configuration(KubeTLSSettings(certificateAuthorityPEM: kubeBytes("junk")), identity: nil) }
        #expect(badCA?.description.contains("certificate-authority") == true, "\(String(describing: badCA))")
        let badKey = kubeFailure { try KubeTLS.configuration(KubeTLSSettings(), identity: (ec.cert, kubeBytes("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))) }
        #expect(badKey?.description.contains("client-key") == true, "\(String(describing: badKey))")
        let badCert = kubeFailure { try KubeTLS.configuration(KubeTLSSettings(), identity: (kubeBytes("nope"), ec.keys[0])) }
        #expect(badCert?.description.contains("client-certificate") == true, "\(String(describing: badCert))")
    }

    @Test("API requests name tls-server-name in the handshake and connect to the server's host")
    func serverHostname() {
        #expect(KubernetesTransport.named(server: "https://10.0.0.1:6443", tlsServerName: nil) == ("https://10.0.0.1:6443", [:]))
        let named = KubernetesTransport.named(server: "https://10.0.0.1:6443", tlsServerName: "kubernetes.default.svc")
        #expect(named.base == "https://kubernetes.default.svc:6443" && named.dnsOverride == ["kubernetes.default.svc": "10.0.0.1"])
        #expect(KubernetesTransport.named(server: "https://api.example:443", tlsServerName: "api.example").dnsOverride.isEmpty)
    }
}
