import Foundation
import MeshTestSupport
import NIOSSL
import Testing
@testable import MeshSources

/// A scratch directory for kubeconfigs, PEM files and plugin scripts, removed with the test.
final class KubeScratch {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-kube-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String, executable: Bool = false) throws -> String {
        let file = (path as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: false, encoding: .utf8)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file) }
        return file
    }

    func read(_ name: String) -> String { (try? String(contentsOfFile: (path as NSString).appendingPathComponent(name), encoding: .utf8)) ?? "" }
}

/// The SourceError a throwing call ends with, or nil when it returns.
func kubeFailure<T>(_ body: () throws -> T) -> SourceError? {
    do { _ = try body(); return nil } catch let error as SourceError { return error } catch {
        Issue.record("not a SourceError: \(error)")
        return nil
    }
}

func kubeBytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func kubeBase64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

@Suite("Kubeconfig: files, merge, resolve")
struct KubeconfigTests {
    static let twoContexts = """
        apiVersion: v1
        kind: Config
        current-context: dev
        preferences: {colors: true}
        clusters:
        - name: dev-cluster
          cluster: {server: https://dev.example:6443, extensions: [{name: x, extension: {}}]}
        - name: prod-cluster
          cluster: {server: https://prod.example:6443}
        users:
        - name: dev-user
          user: {token: dev-token}
        contexts:
        - name: dev
          context: {cluster: dev-cluster, user: dev-user, namespace: team-a}
        - name: prod
          context: {cluster: prod-cluster, user: dev-user}
        - name: anonymous
          context: {cluster: prod-cluster}
        - name: broken-cluster
          context: {cluster: nowhere, user: dev-user}
        - name: broken-user
          context: {cluster: dev-cluster, user: nobody}
        """

    @Test("--kubeconfig wins; KUBECONFIG is split on ':', skipping empty entries, repeats and missing files; else ~/.kube/config")
    func paths() throws {
        let scratch = try KubeScratch()
        let a = try scratch.write("a", ""), b = try scratch.write("b", "")
        let missing = scratch.path + "/missing"
        let env = ["KUBECONFIG": "\(a)::\(missing):\(b):\(a)"]
        #expect(try KubeconfigFiles.paths(explicit: "/x/config", environment: env, home: "/home/u") == ["/x/config"])
        #expect(try KubeconfigFiles.paths(explicit: nil, environment: env, home: "/home/u") == [a, b])
        #expect(try KubeconfigFiles.paths(explicit: nil, environment: ["KUBECONFIG": ":"], home: "/home/u") == ["/home/u/.kube/config"])
        #expect(try KubeconfigFiles.paths(explicit: nil, environment: [:], home: "/home/u/") == ["/home/u/.kube/config"])
        let none = try #require(kubeFailure { try KubeconfigFiles.paths(explicit: nil, environment: ["KUBECONFIG": "\(missing):/nope"], home: "/h") })
        #expect(none.description.contains(missing) && none.description.contains("/nope"), "\(none)")
    }

    @Test("Two files merge first-wins per cluster, user and context, and for current-context")
    func mergeFirstWins() throws {
        let scratch = try KubeScratch()
        let first = try scratch.write("first", Self.twoContexts)
        let second = try scratch.write("second", """
            current-context: other
            clusters:
            - {name: dev-cluster, cluster: {server: https://impostor:6443}}
            - {name: other-cluster, cluster: {server: https://other:6443}}
            users:
            - {name: dev-user, user: {token: impostor-token}}
            contexts:
            - {name: other, context: {cluster: other-cluster}}
            """)
        let merged = try Kubeconfig.load(paths: [first, second])
        #expect(merged.files == [first, second])
        #expect(merged.currentContext == "dev")
        #expect(merged.clusters.map(\.name) == ["dev-cluster", "prod-cluster", "other-cluster"])
        #expect(merged.clusters[0].server == "https://dev.example:6443")
        #expect(merged.users.map(\.token) == [Credential("dev-token")])
        #expect(try merged.resolve(context: "other", namespace: nil).server == "https://other:6443")
        let reversed = try Kubeconfig.load(paths: [second, first])
        #expect(reversed.currentContext == "other")
        #expect(try reversed.resolve(context: "dev", namespace: nil).server == "https://impostor:6443")
    }

    @Test("Relative file references resolve against the directory of the file that names them; a bare exec command stays a PATH name")
    func relativePaths() throws {
        let scratch = try KubeScratch()
        let config = try scratch.write("kube/config", """
            clusters:
            - {name: c, cluster: {server: https://k:6443, certificate-authority: ca.pem}}
            users:
            - {name: files, user: {client-certificate: ../certs/client.pem, client-key: /abs/key.pem, tokenFile: ./token}}
            - {name: local-plugin, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ./bin/plugin, interactiveMode: Never}}}
            - {name: path-plugin, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, interactiveMode: Never}}}
            """)
        let loaded = try Kubeconfig.load(paths: [config])
        let kube = scratch.path + "/kube"
        #expect(loaded.clusters[0].certificateAuthority == kube + "/ca.pem")
        #expect(loaded.users[0].clientCertificate == scratch.path + "/certs/client.pem")
        #expect(loaded.users[0].clientKey == "/abs/key.pem")
        #expect(loaded.users[0].tokenFile == kube + "/token")
        #expect(loaded.users[1].exec?.command == kube + "/bin/plugin")
        #expect(loaded.users[2].exec?.command == "aws")
    }

    @Test("Each kind of user resolves to its auth: tokenFile over token over client certificate over exec; no user is anonymous")
    func userKinds() throws {
        let scratch = try KubeScratch()
        let token = try scratch.write("token", "file-token\n")
        let config = try Kubeconfig.parse("""
            clusters: [{name: c, cluster: {server: https://k:6443}}]
            users:
            - {name: token, user: {token: abc}}
            - {name: file, user: {tokenFile: \(token), token: ignored}}
            - {name: cert, user: {client-certificate-data: \(kubeBase64("CERT")), client-key-data: \(kubeBase64("KEY")), exec: {command: unused}}}
            - {name: cert-and-token, user: {client-certificate-data: \(kubeBase64("CERT")), client-key-data: \(kubeBase64("KEY")), token: t}}
            - name: exec
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: aws
                  args: [eks, get-token, --cluster-name, prod]
                  env: [{name: AWS_PROFILE, value: prod}]
                  installHint: brew install awscli
                  provideClusterInfo: true
            - {name: empty, user: {}}
            contexts:
            - {name: token, context: {cluster: c, user: token}}
            - {name: file, context: {cluster: c, user: file}}
            - {name: cert, context: {cluster: c, user: cert}}
            - {name: cert-and-token, context: {cluster: c, user: cert-and-token}}
            - {name: exec, context: {cluster: c, user: exec}}
            - {name: empty, context: {cluster: c, user: empty}}
            - {name: anonymous, context: {cluster: c}}
            """, file: scratch.path + "/config")
        func auth(_ name: String) throws -> KubeAuth { try config.resolve(context: name, namespace: nil).auth }
        #expect(try auth("token") == .token(Credential("abc")))
        #expect(try auth("file") == .tokenFile(token))
        #expect(try auth("cert") == .clientCertificate)
        #expect(try config.resolve(context: "cert", namespace: nil).tls.clientIdentity.map { [$0.certificatePEM, $0.keyPEM] } == [kubeBytes("CERT"), kubeBytes("KEY")])
        #expect(try auth("cert-and-token") == .token(Credential("t")))
        #expect(try auth("empty") == .none)
        #expect(try auth("anonymous") == .none)
        #expect(try config.resolve(context: "anonymous", namespace: nil).userName == "")
        guard case let .exec(exec) = try auth("exec") else { Issue.record("exec user did not resolve to .exec"); return }
        #expect(exec.args == ["eks", "get-token", "--cluster-name", "prod"])
        #expect(exec.env == [.init(name: "AWS_PROFILE", value: "prod")])
        #expect(exec.installHint == "brew install awscli" && exec.provideClusterInfo)
        #expect(exec.interactiveMode == .ifAvailable, "v1beta1 defaults interactiveMode to IfAvailable")
    }

    @Test("An exec entry kubectl would refuse is refused when its context is used: v1 without interactiveMode, an unknown apiVersion, no command")
    func execValidation() throws {
        let config = try Kubeconfig.parse("""
            clusters: [{name: c, cluster: {server: https://k:6443}}]
            users:
            - {name: v1, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: x}}}
            - {name: alpha, user: {exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: x}}}
            - {name: nocommand, user: {exec: {apiVersion: client.authentication.k8s.io/v1, interactiveMode: Never}}}
            contexts: [{name: v1, context: {cluster: c, user: v1}}, {name: alpha, context: {cluster: c, user: alpha}},
                       {name: nocommand, context: {cluster: c, user: nocommand}}]
            """, file: "/k/config")
        #expect(kubeFailure { try config.resolve(context: "v1", namespace: nil) }?.description.contains("/k/config:3: user v1 exec has no interactiveMode") == true)
        #expect(kubeFailure { try config.resolve(context: "alpha", namespace: nil) }?.description.contains("apiVersion client.authentication.k8s.io/v1alpha1") == true)
        #expect(kubeFailure { try config.resolve(context: "nocommand", namespace: nil) }?.description.contains("has no command") == true)
        let mode = kubeFailure { try Kubeconfig.parse("users: [{name: u, user: {exec: {interactiveMode: Sometimes}}}]", file: "/k/c") }
        #expect(mode?.description.contains("/k/c:1:") == true && mode?.description.contains("Sometimes") == true, "\(String(describing: mode))")
    }

    @Test("Data fields are base64 and win over file fields; files are read; a missing file or bad base64 names its field")
    func dataAndFiles() throws {
        let scratch = try KubeScratch()
        let ca = try scratch.write("ca.pem", "CA FROM FILE")
        let cert = try scratch.write("cert.pem", "CERT FROM FILE")
        func resolve(_ cluster: String, _ user: String) throws(SourceError) -> ResolvedKubeContext {
            let fields = ["server: https://k:6443", cluster].filter { !$0.isEmpty }.joined(separator: ", ")
            let text = "clusters: [{name: c, cluster: {\(fields)}}]\nusers: [{name: u, user: {\(user)}}]\n"
                + "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n"
            return try Kubeconfig.parse(text, file: scratch.path + "/config").resolve(context: nil, namespace: nil)
        }
        let fromFiles = try resolve("certificate-authority: ca.pem", "client-certificate: cert.pem, client-key-data: \(kubeBase64("KEY"))")
        #expect(fromFiles.tls.certificateAuthorityPEM == kubeBytes("CA FROM FILE"))
        #expect(fromFiles.tls.clientCertificatePEM == kubeBytes("CERT FROM FILE") && fromFiles.tls.clientKeyPEM == kubeBytes("KEY"))
        let both = try resolve("certificate-authority: \(ca), certificate-authority-data: \(kubeBase64("CA DATA"))", "")
        #expect(both.tls.certificateAuthorityPEM == kubeBytes("CA DATA"))
        let missing = try #require(kubeFailure { try resolve("certificate-authority: gone.pem", "") })
        #expect(missing.description.contains("certificate-authority \(scratch.path)/gone.pem: No such file or directory"), "\(missing)")
        let missingKey = try #require(kubeFailure { try resolve("", "client-certificate: \(cert), client-key: nokey.pem") })
        #expect(missingKey.description.contains("client-key \(scratch.path)/nokey.pem"), "\(missingKey)")
        let badData = try #require(kubeFailure { try resolve("certificate-authority-data: not*base64", "") })
        #expect(badData.description.contains("certificate-authority-data is not base64"), "\(badData)")
        let lonely = try #require(kubeFailure { try resolve("", "client-certificate: \(cert)") })
        #expect(lonely.description.contains("no client-key"), "\(lonely)")
        let insecure = try #require(kubeFailure { try resolve("certificate-authority: \(ca), insecure-skip-tls-verify: true", "") })
        #expect(insecure.description.contains("insecure-skip-tls-verify"), "\(insecure)")
        let tokenFile = try #require(kubeFailure { try resolve("", "tokenFile: absent-token") })
        #expect(tokenFile.description.contains("tokenFile \(scratch.path)/absent-token"), "\(tokenFile)")
    }

    @Test("Malformed YAML and fields of the wrong type report file:line")
    func malformed() throws {
        let unclosed = try #require(kubeFailure { try Kubeconfig.parse("clusters:\n- name: a\n  cluster: {server: x\nusers: []\n", file: "/k/bad") })
        #expect(unclosed.description.hasPrefix("kubeconfig /k/bad:4: not YAML"), "\(unclosed)")
        let tabs = try #require(kubeFailure { try Kubeconfig.parse("clusters:\n\t- name: a\n", file: "/k/tab") })
        #expect(tabs.description.hasPrefix("kubeconfig /k/tab:2: not YAML"), "\(tabs)")
        let string = try #require(kubeFailure { try Kubeconfig.parse("apiVersion: v1\nclusters: hello\n", file: "/k/s") })
        #expect(string.description == "kubeconfig /k/s:2: clusters must be a list, not a scalar")
        let server = try #require(kubeFailure { try Kubeconfig.parse("clusters:\n- name: a\n  cluster:\n    server: {host: x}\n", file: "/k/m") })
        #expect(server.description == "kubeconfig /k/m:4: clusters[a].cluster.server must be a string, not a mapping")
        let twice = try #require(kubeFailure { try Kubeconfig.parse("users:\n- {name: u}\n- {name: u}\n", file: "/k/d") })
        #expect(twice.description == "kubeconfig /k/d:3: users: u is defined twice")
        #expect(kubeFailure { try Kubeconfig.parse("kind: Pod\n", file: "/k/p") }?.description.contains("not a kubeconfig") == true)
        #expect(kubeFailure { try Kubeconfig.parse("- a\n", file: "/k/l") }?.description == "kubeconfig /k/l:1: the document must be a mapping, not a list")
        #expect(try Kubeconfig.parse("", file: "/k/empty").contexts.isEmpty, "an empty file is an empty config, as kubectl reads it")
        let unreadable = try #require(kubeFailure { try Kubeconfig.load(paths: ["/nonexistent/kubeconfig"]) })
        #expect(unreadable.description == "kubeconfig /nonexistent/kubeconfig: No such file or directory")
    }

    @Test("No current-context, an unknown context and a context naming a missing cluster or user each say what is wrong")
    func contextErrors() throws {
        var config = try Kubeconfig.parse(Self.twoContexts, file: "/k/config")
        let unknown = try #require(kubeFailure { try config.resolve(context: "staging", namespace: nil) })
        #expect(unknown.description == "kubeconfig /k/config: context staging is not defined; its contexts: anonymous, broken-cluster, broken-user, dev, prod")
        #expect(kubeFailure { try config.resolve(context: "broken-cluster", namespace: nil) }?.description
            == "kubeconfig /k/config:20: context broken-cluster names cluster nowhere, which is not defined")
        #expect(kubeFailure { try config.resolve(context: "broken-user", namespace: nil) }?.description
            == "kubeconfig /k/config:22: context broken-user names user nobody, which is not defined")
        config.currentContext = nil
        let none = try #require(kubeFailure { try config.resolve(context: nil, namespace: nil) })
        #expect(none.description.contains("no current-context is set and no --context was given; its contexts: anonymous,"), "\(none)")
        let empty = try Kubeconfig.parse("", file: "/k/empty")
        #expect(kubeFailure { try empty.resolve(context: nil, namespace: nil) }?.description.contains("defines no contexts") == true)
    }

    @Test("Namespace: the flag, else the context's, else default; a host:port server gets a scheme as client-go gives it")
    func namespaceAndServer() throws {
        let config = try Kubeconfig.parse(Self.twoContexts, file: "/k/config")
        #expect(try config.resolve(context: nil, namespace: "flag-ns").namespace == "flag-ns")
        #expect(try config.resolve(context: nil, namespace: nil).namespace == "team-a")
        #expect(try config.resolve(context: nil, namespace: "").namespace == "team-a")
        #expect(try config.resolve(context: "prod", namespace: nil).namespace == "default")
        let resolved = try config.resolve(context: nil, namespace: nil)
        #expect((resolved.contextName, resolved.clusterName, resolved.userName) == ("dev", "dev-cluster", "dev-user"))
        #expect(Kubeconfig.serverURL("10.0.0.1:6443", tls: KubeTLSSettings(insecureSkipTLSVerify: true)) == "https://10.0.0.1:6443")
        #expect(Kubeconfig.serverURL("10.0.0.1:8080", tls: KubeTLSSettings()) == "http://10.0.0.1:8080")
        #expect(Kubeconfig.serverURL("https://k:6443/", tls: KubeTLSSettings()) == "https://k:6443/")
    }

    @Test("In a pod: server from the service env (IPv6 bracketed), CA and namespace from the service account, the token as a rotating file")
    func inCluster() throws {
        let scratch = try KubeScratch()
        #expect(try InClusterConfig.detect(environment: [:], serviceAccountDirectory: scratch.path) == nil)
        let env = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        let noToken = try #require(kubeFailure { try InClusterConfig.detect(environment: env, serviceAccountDirectory: scratch.path) })
        #expect(noToken.description.contains("automountServiceAccountToken"), "\(noToken)")
        let token = try scratch.write("token", "sa-token")
        try scratch.write("ca.crt", "CLUSTER CA")
        try scratch.write("namespace", "istio-system\n")
        let context = try #require(try InClusterConfig.detect(environment: env, serviceAccountDirectory: scratch.path))
        #expect(context.server == "https://10.96.0.1:443" && context.contextName == "in-cluster")
        #expect(context.namespace == "istio-system" && context.auth == .tokenFile(token))
        #expect(context.tls.certificateAuthorityPEM == kubeBytes("CLUSTER CA"))
        let v6 = try #require(try InClusterConfig.detect(environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443",
                                                                       "POD_NAMESPACE": "mesh"], serviceAccountDirectory: scratch.path))
        #expect(v6.server == "https://[fd00::1]:6443" && v6.namespace == "mesh")
    }
}
