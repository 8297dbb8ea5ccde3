import Foundation

/// The kubeconfig files in force, chosen the way kubectl chooses them.
public enum KubeconfigFiles {
    /// `--kubeconfig` wins; else `KUBECONFIG`, a `:`-separated list whose missing files are skipped
    /// (kubectl merges what exists, so one stale entry in a shell profile breaks nothing) and of
    /// which none existing is an error naming them; else `~/.kube/config`. A path listed twice
    /// counts once, where it first stands.
    public static func paths(explicit: String?, environment: [String: String], home: String) throws(SourceError) -> [String] {
        if let explicit, !explicit.isEmpty { return [explicit] }
        var seen = Set<String>()
        let listed = (environment["KUBECONFIG"] ?? "").split(separator: ":").map(String.init).filter { seen.insert($0).inserted }
        guard !listed.isEmpty else { return [URL(fileURLWithPath: home).appendingPathComponent(".kube/config").path] }
        let existing = listed.filter { FileManager.default.fileExists(atPath: $0) }
        guard !existing.isEmpty else {
            throw SourceError(source: "KUBECONFIG", reason: .unreadable("none of its files exists: \(listed.joined(separator: ", "))"))
        }
        return existing
    }
}

/// Where an entry of a kubeconfig stands, so that an error about it names the file and line.
public struct KubeconfigOrigin: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var description: String { "\(file):\(line)" }
}

/// One or more kubeconfig files, merged. File paths inside are absolute: a relative one was
/// resolved against the directory of the file that defined it, as kubectl does.
public struct Kubeconfig: Sendable, Equatable {
    public struct Cluster: Sendable, Equatable {
        public var name: String
        public var server: String?
        public var certificateAuthority: String?
        /// Base64 of PEM, as written in the file; decoded when a context is resolved.
        public var certificateAuthorityData: String?
        public var insecureSkipTLSVerify: Bool
        public var tlsServerName: String?
        public var proxyURL: String?
        public var origin: KubeconfigOrigin
    }

    public struct User: Sendable, Equatable {
        public var name: String
        public var token: Credential?
        public var tokenFile: String?
        public var clientCertificate: String?
        public var clientCertificateData: String?
        public var clientKey: String?
        public var clientKeyData: String?
        public var exec: ExecPluginConfig?
        public var origin: KubeconfigOrigin
    }

    public struct Context: Sendable, Equatable {
        public var name: String
        public var cluster: String
        /// Empty for a context without a user: requests go out anonymous.
        public var user: String
        public var namespace: String?
        public var origin: KubeconfigOrigin
    }

    /// The files merged, in order: resolve errors name them.
    public var files: [String]
    public var clusters: [Cluster]
    public var users: [User]
    public var contexts: [Context]
    public var currentContext: String?

    /// Reads and merges the files (`KubeconfigFiles.paths`); any file missing or malformed is an error.
    public static func load(paths: [String]) throws(SourceError) -> Kubeconfig {
        var merged = Kubeconfig(files: [], clusters: [], users: [], contexts: [], currentContext: nil)
        for path in paths {
            let bytes: [UInt8]
            switch KubeFile.read(path) {
            case let .success(read): bytes = read
            case let .failure(why): throw SourceError(source: "kubeconfig \(path)", reason: .unreadable("\(why)"))
            }
            merged = merged.merging(try parse(String(decoding: bytes, as: UTF8.self), file: path))
        }
        return merged
    }

    /// kubectl's merge: the first file to name a cluster, user or context keeps it, and the first
    /// to set current-context sets it.
    public func merging(_ later: Kubeconfig) -> Kubeconfig {
        var merged = self
        merged.files += later.files
        merged.clusters += later.clusters.filter { entry in !clusters.contains { $0.name == entry.name } }
        merged.users += later.users.filter { entry in !users.contains { $0.name == entry.name } }
        merged.contexts += later.contexts.filter { entry in !contexts.contains { $0.name == entry.name } }
        merged.currentContext = currentContext ?? later.currentContext
        return merged
    }
}

/// A context ready to connect with: the server, the namespace, TLS with every file read, and the auth kind.
public struct ResolvedKubeContext: Sendable, Equatable {
    public var contextName: String
    public var clusterName: String
    /// Empty for a context without a user.
    public var userName: String
    public var server: String
    public var namespace: String
    public var proxyURL: String?
    public var tls: KubeTLSSettings
    public var auth: KubeAuth

    public init(contextName: String, clusterName: String, userName: String, server: String, namespace: String,
                proxyURL: String? = nil, tls: KubeTLSSettings, auth: KubeAuth) {
        self.contextName = contextName
        self.clusterName = clusterName
        self.userName = userName
        self.server = server
        self.namespace = namespace
        self.proxyURL = proxyURL
        self.tls = tls
        self.auth = auth
    }

    /// Whose credential this is, in an error: "kubeconfig user alice (token)", "in-cluster service account".
    public var credentialName: String {
        if contextName == InClusterConfig.contextName { return "the in-cluster service account's token" }
        let kind: String
        switch auth {
        case .none: kind = "no credential"
        case .token: kind = "token"
        case let .tokenFile(path): kind = "tokenFile \(path)"
        case .clientCertificate: kind = "client certificate"
        case let .exec(config): kind = "exec plugin \(config.command)"
        }
        return "the credential of kubeconfig user \(userName.isEmpty ? "(none)" : userName) (\(kind))"
    }
}

extension Kubeconfig {
    /// The context to use — `--context`, else current-context — with its cluster and user read
    /// into what a connection needs: file and data fields loaded (data wins, as in client-go),
    /// the namespace chosen (`--namespace`, else the context's, else `default`), one kind of auth.
    public func resolve(context requested: String?, namespace: String?) throws(SourceError) -> ResolvedKubeContext {
        let names = contexts.map(\.name).sorted()
        let known = names.isEmpty ? "the kubeconfig defines no contexts" : "its contexts: \(names.joined(separator: ", "))"
        guard let name = requested.flatMap({ $0.isEmpty ? nil : $0 }) ?? currentContext else {
            throw failure("no current-context is set and no --context was given; \(known)")
        }
        guard let context = contexts.first(where: { $0.name == name }) else { throw failure("context \(name) is not defined; \(known)") }
        guard let cluster = clusters.first(where: { $0.name == context.cluster }) else {
            let named = context.cluster.isEmpty ? "no cluster" : "cluster \(context.cluster), which is not defined"
            throw failure("context \(name) names \(named)", at: context.origin)
        }
        let user = users.first { $0.name == context.user }
        if user == nil && !context.user.isEmpty {
            throw failure("context \(name) names user \(context.user), which is not defined", at: context.origin)
        }
        guard let server = cluster.server, !server.isEmpty else { throw failure("cluster \(cluster.name) has no server", at: cluster.origin) }
        let tls = try tlsSettings(cluster, user)
        return ResolvedKubeContext(
            contextName: name, clusterName: cluster.name, userName: user?.name ?? "",
            server: Self.serverURL(server, tls: tls), namespace: [namespace, context.namespace].compactMap { $0 }.first { !$0.isEmpty } ?? "default",
            proxyURL: cluster.proxyURL, tls: tls, auth: try user.map(auth) ?? .none)
    }

    /// client-go's default for a server written as `host:port`: https when anything TLS is configured.
    static func serverURL(_ server: String, tls: KubeTLSSettings) -> String {
        if let url = URL(string: server), url.scheme != nil, url.host != nil { return server }
        let secure = tls.certificateAuthorityPEM != nil || tls.clientCertificatePEM != nil || tls.insecureSkipTLSVerify
        return (secure ? "https://" : "http://") + server
    }

    private func tlsSettings(_ cluster: Cluster, _ user: User?) throws(SourceError) -> KubeTLSSettings {
        let authority = try load(cluster.certificateAuthorityData, "certificate-authority-data", cluster.certificateAuthority,
                                 "certificate-authority", of: "cluster \(cluster.name)", at: cluster.origin)
        if authority != nil && cluster.insecureSkipTLSVerify {
            throw failure("cluster \(cluster.name) sets both a certificate authority and insecure-skip-tls-verify; kubectl refuses that too",
                          at: cluster.origin)
        }
        var settings = KubeTLSSettings(certificateAuthorityPEM: authority, insecureSkipTLSVerify: cluster.insecureSkipTLSVerify,
                                       tlsServerName: cluster.tlsServerName)
        guard let user else { return settings }
        let owner = "user \(user.name)"
        settings.clientCertificatePEM = try load(user.clientCertificateData, "client-certificate-data", user.clientCertificate,
                                                 "client-certificate", of: owner, at: user.origin)
        settings.clientKeyPEM = try load(user.clientKeyData, "client-key-data", user.clientKey, "client-key", of: owner, at: user.origin)
        switch (settings.clientCertificatePEM, settings.clientKeyPEM) {
        case (.some, nil): throw failure("\(owner) has a client certificate but no client-key or client-key-data", at: user.origin)
        case (nil, .some): throw failure("\(owner) has a client key but no client-certificate or client-certificate-data", at: user.origin)
        default: return settings
        }
    }

    /// The auth kind client-go would use: a token (the file, re-read as it rotates, before the
    /// inline one) wins over a client certificate, which wins over an exec plugin.
    private func auth(_ user: User) throws(SourceError) -> KubeAuth {
        if let path = user.tokenFile {
            if case let .failure(why) = KubeFile.read(path) {
                throw SourceError(source: "kubeconfig \(user.origin)", reason: .unreadable("user \(user.name): tokenFile \(path): \(why)"))
            }
            return .tokenFile(path)
        }
        if let token = user.token, !token.isEmpty { return .token(token) }
        if user.clientCertificate != nil || user.clientCertificateData != nil { return .clientCertificate }
        guard var exec = user.exec else { return .none }
        let owner = "user \(user.name) exec"
        guard ExecPluginConfig.apiVersions.contains(exec.apiVersion) else {
            let given = exec.apiVersion.isEmpty ? "no apiVersion" : "apiVersion \(exec.apiVersion)"
            throw failure("\(owner) has \(given); expected \(ExecPluginConfig.apiVersions.joined(separator: " or "))", at: exec.origin)
        }
        guard !exec.command.isEmpty else { throw failure("\(owner) has no command", at: exec.origin) }
        if exec.interactiveMode == nil {
            // v1beta1 defaulted it; v1 made it required, and kubectl refuses a v1 plugin without it.
            guard exec.apiVersion.hasSuffix("/v1beta1") else {
                throw failure("\(owner) has no interactiveMode (Never, IfAvailable or Always), which \(exec.apiVersion) requires", at: exec.origin)
            }
            exec.interactiveMode = .ifAvailable
        }
        return .exec(exec)
    }

    /// A `-data` field (base64) or else its file field (raw PEM); empty data counts as absent.
    private func load(_ data: String?, _ dataField: String, _ path: String?, _ pathField: String, of owner: String,
                      at origin: KubeconfigOrigin) throws(SourceError) -> [UInt8]? {
        if let data, !data.isEmpty {
            guard let decoded = Data(base64Encoded: data.filter { !$0.isWhitespace }) else {
                throw failure("\(owner): \(dataField) is not base64", at: origin)
            }
            return Array(decoded)
        }
        guard let path else { return nil }
        switch KubeFile.read(path) {
        case let .success(bytes): return bytes
        case let .failure(why): throw SourceError(source: "kubeconfig \(origin)", reason: .unreadable("\(owner): \(pathField) \(path): \(why)"))
        }
    }

    private func failure(_ reason: String, at origin: KubeconfigOrigin? = nil) -> SourceError {
        SourceError(source: "kubeconfig " + (origin?.description ?? files.joined(separator: ":")), reason: .unexpectedAnswer(reason))
    }
}

/// Reads a whole file and says why not in the system's words ("No such file or directory"):
/// the kubeconfig errors name a field and a path, and then the reason.
enum KubeFile {
    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    static func read(_ path: String) -> Result<[UInt8], Unreadable> {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return .failure(Unreadable(description: String(cString: strerror(errno)))) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return .success(bytes) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(Unreadable(description: String(cString: strerror(errno))))
            }
            bytes += buffer[..<count]
        }
    }
}
