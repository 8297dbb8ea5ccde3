import Foundation

/// How requests to the API server authenticate: the one kind `Kubeconfig.resolve` picked.
public enum KubeAuth: Sendable, Equatable {
    case none
    case token(Credential)
    /// A token file, re-read whenever it changes: service account tokens rotate under a running process.
    case tokenFile(String)
    /// The client certificate of the context's TLS settings, and nothing else.
    case clientCertificate
    case exec(ExecPluginConfig)
}

/// A `users[].user.exec` entry: a command that prints an ExecCredential — kubectl's credential
/// plugins (`aws eks get-token`, `gke-gcloud-auth-plugin`, `kubelogin`).
public struct ExecPluginConfig: Sendable, Equatable {
    public enum InteractiveMode: String, Sendable {
        case never = "Never", ifAvailable = "IfAvailable", always = "Always"
    }

    public struct Variable: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    public static let apiVersions = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]

    public var apiVersion: String
    /// A name looked up on PATH, or an absolute path.
    public var command: String
    public var args: [String]
    /// Added to meshtop's own environment; a later entry of the same name wins.
    public var env: [Variable]
    public var installHint: String?
    public var provideClusterInfo: Bool
    /// nil only in a v1 entry that omits it, which `resolve` refuses.
    public var interactiveMode: InteractiveMode?
    public var origin: KubeconfigOrigin
}

/// The credential of one resolved context, for every request the transport sends: the token,
/// the token file as it rotates, or what an exec plugin printed, cached as long as it says.
public actor KubeCredentialProvider {
    /// An exec credential counts as expired this long before its expirationTimestamp, so that a
    /// request does not leave with a token that dies on the way.
    public static let expiryMargin: TimeInterval = 10
    /// A person may be typing into an interactive plugin (an SSO login): it gets this long.
    public static let interactiveTimeout: Duration = .seconds(300)

    private let context: ResolvedKubeContext
    private var interactive: Bool
    private let environment: [String: String]
    private let execTimeout: Duration
    private let rejectionWindow: TimeInterval
    private let now: @Sendable () -> Date

    private var fileToken: (credential: Credential, stamp: FileStamp?)?
    private var obtained: Obtained?
    private var running: Task<Result<ExecOutcome, SourceError>, Never>?
    /// The next plugin run follows a rejection: if the server rejects its credential too, the plugin is refused.
    private var nextRunIsRetry = false
    /// The server rejected a freshly run plugin's credential: until then `bearer()` says so instead of running it again.
    private var refusedUntil: Date?

    /// - Parameters:
    ///   - interactive: plugins may use the terminal (stdin inherited, `spec.interactive` true):
    ///     only while meshtop has not taken the screen; see `setInteractive`.
    ///   - environment: the plugin's environment before its own `env`, and the PATH it is looked up on.
    ///   - execTimeout: a non-interactive plugin still running after this is killed.
    ///   - rejectionWindow: a re-run credential rejected within this is the plugin's fault, and
    ///     after that `bearer()` throws for this long before trying the plugin again.
    public init(context: ResolvedKubeContext, interactive: Bool = false,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                execTimeout: Duration = .seconds(30), rejectionWindow: Duration = .seconds(30),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.context = context
        self.interactive = interactive
        self.environment = environment
        self.execTimeout = execTimeout
        self.rejectionWindow = ExecPluginRun.seconds(rejectionWindow)
        self.now = now
    }

    /// The console turns interaction off before it takes the screen, and back on when it gives it back.
    public func setInteractive(_ interactive: Bool) { self.interactive = interactive }

    /// The bearer token to send, or nil when this context sends none.
    public func bearer() async throws(SourceError) -> Credential? {
        switch context.auth {
        case .none, .clientCertificate: nil
        case let .token(token): token
        case let .tokenFile(path): try tokenFromFile(path)
        case let .exec(config): try await execOutcome(config).token
        }
    }

    /// The client certificate chain and key for the handshake: an exec plugin's, else the kubeconfig's.
    public func clientIdentity() async throws(SourceError) -> (certificatePEM: [UInt8], keyPEM: [UInt8])? {
        if case let .exec(config) = context.auth, let identity = try await execOutcome(config).identity {
            return (identity.certificatePEM, identity.keyPEM)
        }
        return context.tls.clientIdentity
    }

    /// The server answered 401: the token file is read again, an exec plugin re-run — once; see
    /// `rejectionWindow`. Several requests rejected with the same credential cost one re-run.
    /// - Parameter sent: the token the rejected request carried, when the caller has it: a 401
    ///   that comes back for a credential already replaced (requests in flight during a re-run)
    ///   is then not counted against the new one. nil: the credential last handed out.
    public func rejected(_ sent: Credential? = nil) {
        switch context.auth {
        case .tokenFile:
            fileToken = nil
        case .exec:
            guard refusedUntil == nil, let rejected = obtained else { return }
            if let sent, rejected.outcome.token != sent { return }
            obtained = nil
            if rejected.isRetry && now().timeIntervalSince(rejected.at) < rejectionWindow {
                refusedUntil = now().addingTimeInterval(rejectionWindow)
            } else {
                nextRunIsRetry = true
            }
        case .none, .token, .clientCertificate:
            return
        }
    }

    private var userSource: String {
        context.contextName == InClusterConfig.contextName ? "in-cluster service account" : "kubeconfig user \(context.userName)"
    }

    private func tokenFromFile(_ path: String) throws(SourceError) -> Credential {
        let stamp = FileStamp(path)
        if let fileToken, stamp != nil, fileToken.stamp == stamp { return fileToken.credential }
        let failure = { (why: String) in SourceError(source: "\(self.userSource) tokenFile \(path)", reason: .auth(.credential(why))) }
        switch KubeFile.read(path) {
        case let .failure(why):
            throw failure("cannot read the token: \(why)")
        case let .success(bytes):
            let token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw failure("the token file is empty") }
            fileToken = (Credential(token), stamp)
            return Credential(token)
        }
    }

    private func execOutcome(_ config: ExecPluginConfig) async throws(SourceError) -> ExecOutcome {
        let source = "\(userSource) exec plugin \(config.command)"
        if let until = refusedUntil {
            let wait = until.timeIntervalSince(now())
            guard wait <= 0 else {
                throw SourceError(source: source, reason: .auth(.credential(
                    "the API server rejects the credential of exec plugin \(config.command) (\(userSource)), also one it had just given "
                        + "(HTTP 401 twice in a row); "
                        + "check which identity it logs in as — meshtop runs it again in \(Int(wait.rounded(.up))) s")))
            }
            refusedUntil = nil
            nextRunIsRetry = true
        }
        if let obtained, obtained.isFresh(at: now()) { return obtained.outcome }
        if let running { return try await running.value.get() }
        let run = ExecPluginRun(
            config: config, source: source, cluster: config.provideClusterInfo ? ExecCredentialRequest.Cluster(context) : nil,
            terminal: interactive, environment: environment, timeout: execTimeout)
        let task = Task { await run.perform() }
        running = task
        let result = await task.value
        running = nil
        let outcome = try result.get()
        obtained = Obtained(outcome: outcome, at: now(), isRetry: nextRunIsRetry)
        nextRunIsRetry = false
        return outcome
    }

    private struct Obtained {
        var outcome: ExecOutcome
        var at: Date
        var isRetry: Bool

        /// Without an expirationTimestamp, good until the server rejects it.
        func isFresh(at now: Date) -> Bool {
            outcome.expires.map { now < $0.addingTimeInterval(-KubeCredentialProvider.expiryMargin) } ?? true
        }
    }
}

/// What identifies a version of a file: a rewrite changes the time or size, and the kubelet's
/// symlink swap the inode. `stat` follows the symlink the service account token is.
struct FileStamp: Equatable {
    var device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int

    init?(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        #if canImport(Darwin)
        seconds = Int(info.st_mtimespec.tv_sec)
        nanoseconds = Int(info.st_mtimespec.tv_nsec)
        #else
        seconds = Int(info.st_mtim.tv_sec)
        nanoseconds = Int(info.st_mtim.tv_nsec)
        #endif
    }
}
