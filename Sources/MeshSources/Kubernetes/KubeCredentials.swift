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
                    "the API server rejects this plugin's credential, also one it had just given (HTTP 401 twice in a row); "
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

/// What an exec plugin printed, checked.
struct ExecOutcome: Sendable {
    struct Identity: Sendable {
        var certificatePEM: [UInt8]
        var keyPEM: [UInt8]
    }

    var token: Credential?
    var identity: Identity?
    var expires: Date?
}

/// `KUBERNETES_EXEC_INFO`: the ExecCredential kubectl hands a plugin, `spec.cluster` only with provideClusterInfo.
struct ExecCredentialRequest: Encodable {
    struct Spec: Encodable {
        var interactive: Bool
        var cluster: Cluster?
    }

    struct Cluster: Encodable, Sendable {
        var server: String
        var tlsServerName: String?
        var insecureSkipTLSVerify: Bool?
        var certificateAuthorityData: String?
        var proxyURL: String?

        enum CodingKeys: String, CodingKey {
            case server, tlsServerName = "tls-server-name", insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case certificateAuthorityData = "certificate-authority-data", proxyURL = "proxy-url"
        }

        /// Absent fields are left out, as Go's omitempty leaves them; the CA is base64 as Go writes bytes.
        init(_ context: ResolvedKubeContext) {
            server = context.server
            tlsServerName = context.tls.tlsServerName
            insecureSkipTLSVerify = context.tls.insecureSkipTLSVerify ? true : nil
            certificateAuthorityData = context.tls.certificateAuthorityPEM.map { Data($0).base64EncodedString() }
            proxyURL = context.proxyURL
        }
    }

    var kind = "ExecCredential"
    var apiVersion: String
    var spec: Spec
}

/// The ExecCredential a plugin prints on stdout.
struct ExecCredentialResponse: Decodable {
    struct Status: Decodable {
        var token: String?
        var clientCertificateData: String?
        var clientKeyData: String?
        var expirationTimestamp: String?
    }

    var kind: String?
    var apiVersion: String?
    var status: Status?
}

/// One run of an exec plugin, as client-go runs it: meshtop's environment plus the plugin's
/// `env` plus KUBERNETES_EXEC_INFO, stdin only when interactive, and a deadline.
struct ExecPluginRun: Sendable {
    var config: ExecPluginConfig
    var source: String
    var cluster: ExecCredentialRequest.Cluster?
    /// meshtop has a terminal the plugin may use.
    var terminal: Bool
    var environment: [String: String]
    var timeout: Duration

    func perform() async -> Result<ExecOutcome, SourceError> {
        do throws(SourceError) { return .success(try await run()) } catch { return .failure(error) }
    }

    func failure(_ text: String) -> SourceError { SourceError(source: source, reason: .auth(.credential(text))) }

    private func run() async throws(SourceError) -> ExecOutcome {
        let mode = config.interactiveMode ?? .ifAvailable
        if mode == .always && !terminal {
            throw failure("the plugin needs a terminal (interactiveMode: Always) and meshtop is not giving it one: "
                          + "run meshtop from a terminal, or log in with the plugin first")
        }
        let interactive = terminal && mode != .never
        guard let executable = Self.locate(config.command, path: environment["PATH"]) else {
            let missing = config.command.contains("/") ? "\(config.command) does not exist or is not executable" : "\(config.command) is not on PATH"
            let hint = config.installHint.map { $0.split(whereSeparator: \.isNewline).joined(separator: " ") }
            throw failure(missing + (hint.map { ": \($0)" } ?? ""))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let request = ExecCredentialRequest(apiVersion: config.apiVersion, spec: .init(interactive: interactive, cluster: cluster))
        var environment = environment
        for variable in config.env { environment[variable.name] = variable.value }
        environment["KUBERNETES_EXEC_INFO"] = (try? encoder.encode(request)).map { String(decoding: $0, as: UTF8.self) }
        let child = PluginProcess(executable: executable, arguments: config.args, environment: environment, interactive: interactive)
        let limit = interactive ? KubeCredentialProvider.interactiveTimeout : timeout
        let result = try await child.run(timeout: Self.seconds(limit), failure: failure)
        if result.timedOut { throw failure("still running after \(Self.seconds(limit).formatted()) s: killed") }
        guard result.status == 0 else {
            let stderr = String(decoding: result.stderr, as: UTF8.self).split(whereSeparator: \.isNewline).prefix(5).joined(separator: " | ")
            let ended = result.signalled ? "killed by signal \(result.status)" : "exited with status \(result.status)"
            throw failure(ended + (stderr.isEmpty ? "" : ": " + SecretRedaction.redact(text: stderr)))
        }
        return try parse(result.stdout)
    }

    /// Checks what client-go checks; the plugin's stdout is never quoted, since it holds the token.
    func parse(_ stdout: Data) throws(SourceError) -> ExecOutcome {
        guard let response = try? JSONDecoder().decode(ExecCredentialResponse.self, from: stdout), response.kind == "ExecCredential" else {
            throw failure("the plugin printed no ExecCredential JSON on stdout")
        }
        guard response.apiVersion == config.apiVersion else {
            throw failure("the plugin answered apiVersion \(response.apiVersion ?? "(none)"), not \(config.apiVersion) as the kubeconfig asks")
        }
        guard let status = response.status else { throw failure("the plugin's ExecCredential has no status") }
        let certificate = status.clientCertificateData.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        let key = status.clientKeyData.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        guard (certificate == nil) == (key == nil) else {
            throw failure("the plugin gave clientCertificateData or clientKeyData without the other")
        }
        let token = status.token.flatMap { $0.isEmpty ? nil : Credential($0) }
        guard token != nil || certificate != nil else { throw failure("the plugin gave neither a token nor a client certificate and key") }
        var expires: Date?
        if let stamp = status.expirationTimestamp {
            guard let date = Self.rfc3339(stamp) else { throw failure("expirationTimestamp \(stamp) is not an RFC 3339 time") }
            expires = date
        }
        let identity = certificate.flatMap { certificate in key.map { ExecOutcome.Identity(certificatePEM: certificate, keyPEM: $0) } }
        return ExecOutcome(token: token, identity: identity, expires: expires)
    }

    static func rfc3339(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions.insert(.withFractionalSeconds)
        return formatter.date(from: text)
    }

    /// A command with a `/` is a path; otherwise the first executable of that name on PATH, as Go's exec.LookPath finds it.
    static func locate(_ command: String, path: String?) -> String? {
        let candidates = command.contains("/") ? [command] : (path ?? "").split(separator: ":").map { "\($0)/\(command)" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) && !isDirectory($0) }
    }

    private static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// A plugin's child process. Foundation's Process starts it in a process group of its own, so
/// at the deadline the whole group is killed — a shell script's `sleep` too, which would
/// otherwise hold stdout open — and the reads end.
final class PluginProcess: @unchecked Sendable {
    struct Result {
        var status: Int32
        var signalled: Bool
        var timedOut: Bool
        var stdout: Data
        var stderr: Data
    }

    private let process = Process()
    private let stdout = Pipe()
    private let stderr = Pipe()
    private let interactive: Bool
    private let lock = NSLock()
    private var finished = false
    private var timedOut = false

    init(executable: String, arguments: [String], environment: [String: String], interactive: Bool) {
        self.interactive = interactive
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = stdout
        // Interactive plugins prompt on stderr; otherwise it is kept for the error message, off the console's screen.
        process.standardError = interactive ? FileHandle.standardError : stderr
        process.standardInput = interactive ? FileHandle.standardInput : FileHandle.nullDevice
    }

    func run(timeout: TimeInterval, failure: (String) -> SourceError) async throws(SourceError) -> Result {
        let group = DispatchGroup()
        group.enter()
        process.terminationHandler = { _ in group.leave() }
        do { try process.run() } catch {
            throw failure("cannot start \(process.executableURL?.path ?? ""): \(error.localizedDescription)")
        }
        let terminal = interactive ? TerminalHandoff(child: process.processIdentifier) : nil
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { self.expire() }
        let output = Collected(), errors = Collected()
        // Blocking reads on threads of their own: not the concurrency pool's, nor Dispatch's, which are as few as the cores.
        for (pipe, collected) in [(stdout, output), (stderr, errors)] where pipe !== stderr || !interactive {
            group.enter()
            Thread {
                collected.data = pipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }.start()
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in group.notify(queue: .global()) { done.resume() } }
        terminal?.restore()
        return lock.withLock {
            finished = true
            return Result(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                          timedOut: timedOut, stdout: output.data, stderr: errors.data)
        }
    }

    private func expire() {
        lock.withLock {
            guard !finished, process.isRunning else { return }
            timedOut = true
            kill(-process.processIdentifier, SIGKILL)
        }
    }

    private final class Collected: @unchecked Sendable {
        var data = Data()
    }
}

/// An interactive plugin reads the terminal (a password, a device-code prompt); outside the
/// terminal's foreground process group that read would stop it (SIGTTIN). The plugin's group
/// gets the foreground for the run and meshtop takes it back afterwards, as a shell does.
struct TerminalHandoff {
    private let previous: pid_t

    init?(child: pid_t) {
        let current = tcgetpgrp(STDIN_FILENO)
        guard isatty(STDIN_FILENO) != 0, current > 0, Self.foreground(child) else { return nil }
        previous = current
        // It may have reached the terminal before the handoff and stopped.
        kill(-child, SIGCONT)
    }

    func restore() { _ = Self.foreground(previous) }

    /// A background group's tcsetpgrp raises SIGTTOU; ignored for the call, as shells do.
    private static func foreground(_ group: pid_t) -> Bool {
        let previous = signal(SIGTTOU, SIG_IGN)
        defer { signal(SIGTTOU, previous) }
        return tcsetpgrp(STDIN_FILENO, group) == 0
    }
}
