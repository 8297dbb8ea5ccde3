import Foundation

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
        // The deadline on a thread of its own: Dispatch's global queue has as few threads as
        // cores, and while other work blocks them a timer there fired only after the plugin had
        // run its whole course (measured: a 0.5 s deadline met after 19.8 s under the test suite).
        let ended = DispatchSemaphore(value: 0)
        Thread {
            if ended.wait(timeout: .now() + timeout) == .timedOut { self.expire() }
        }.start()
        defer { ended.signal() }
        let output = Collected(), errors = Collected()
        // Blocking reads on threads of their own: not the concurrency pool's, nor Dispatch's, which are as few as the cores.
        for (pipe, collected) in [(stdout, output), (stderr, errors)] where pipe !== stderr || !interactive {
            group.enter()
            Thread {
                collected.data = pipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }.start()
        }
        // Waited for on a thread of its own too (not a global-queue `notify`), for the same reason.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread {
                group.wait()
                done.resume()
            }.start()
        }
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
