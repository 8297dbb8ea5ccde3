import AsyncHTTPClient
import Foundation
import MeshModel
import NIOCore
import NIOHTTP1

/// Which HTTP methods a session may send. Polling only ever GETs (`HTTPFetcher` cannot send
/// anything else); this policy guards the one other path, operator actions, so that the
/// dashboard and `--readonly` refuse them at the HTTP layer and not only by hiding keys.
public enum RequestPolicy: Sendable, Equatable {
    /// GET and HEAD only (dashboard, `--readonly`).
    case readOnly
    /// Also POST, to the Envoy admin paths of operator actions only.
    case operatorActions

    /// Envoy's action paths and MOSN's log level take POST; Linkerd's log level takes PUT.
    static let actionPaths: Set<String> = ["/logging", "/healthcheck/fail", "/healthcheck/ok", "/reset_counters", "/api/v1/update_loglevel"]
    static let putPaths: Set<String> = ["/proxy-log-level"]

    /// Throws unless `method` to `path` is allowed.
    public func check(method: HTTPMethod, path: String) throws {
        if method == .GET || method == .HEAD { return }
        let bare = String(path.split(separator: "?", maxSplits: 1).first ?? "")
        let allowed = (method == .POST && Self.actionPaths.contains(bare)) || (method == .PUT && Self.putPaths.contains(bare))
        guard self == .operatorActions, allowed else {
            throw SourceError(source: "\(method.rawValue) \(path)", reason: self == .readOnly
                ? "refused: read-only session (dashboard or --readonly) sends GET and HEAD only"
                : "refused: not an operator action")
        }
    }
}

/// Sends operator actions (product.md §5) to a proxy's Envoy admin API, after the policy allows
/// them, and reports the outcome as an `.action` event.
public final class AdminActionClient: Sendable {
    public let policy: RequestPolicy
    let client: HTTPClient
    let timeout: TimeAmount

    public init(policy: RequestPolicy, timeout: Double = 5) {
        self.policy = policy
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(Int64(timeout * 1000)), read: .milliseconds(Int64(timeout * 1000)))
        configuration.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.timeout = .milliseconds(Int64(timeout * 1000))
    }

    /// Performs the action and describes what happened (never throws: a refusal or failure is
    /// an event too).
    public func perform(_ action: OperatorAction, at date: Date = Date()) async -> MeshEvent {
        let subject = "proxy \(action.proxyID)"
        do {
            let method = HTTPMethod(rawValue: action.method)
            try policy.check(method: method, path: action.path)
            if let reason = action.unsupportedReason { throw SourceError(source: subject, reason: "refused: \(reason)") }
            // MOSN sets one logger per request: every logger it reports gets the level.
            let logPaths: [String?] = action.mesh == "mosn" ? try await mosnLoggers(action.adminURL) : [nil]
            for logPath in logPaths {
                var request = HTTPClientRequest(url: action.adminURL + action.path)
                request.method = method
                if let body = action.body(logPath: logPath) { request.body = .bytes(ByteBuffer(string: body)) }
                let response = try await client.execute(request, timeout: timeout)
                let body = try await response.body.collect(upTo: 64 << 10)
                let text = String(decoding: body.readableBytesView.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                guard (200...299).contains(response.status.code) else {
                    return MeshEvent(at: date, kind: .action, subject: subject,
                                     message: "\(action.summary) failed: HTTP \(response.status.code)\(text.isEmpty ? "" : " (\(text))")", severity: .warning)
                }
            }
            return MeshEvent(at: date, kind: .action, subject: subject, message: "\(action.summary): done (\(action.method) \(action.path))", severity: .info)
        } catch let error as SourceError {
            return MeshEvent(at: date, kind: .action, subject: subject, message: "\(action.summary) \(error.reason)", severity: .warning)
        } catch {
            return MeshEvent(at: date, kind: .action, subject: subject,
                             message: "\(action.summary) failed: \(HTTPFetcher.describe(error)) (\(action.adminURL))", severity: .warning)
        }
    }

    /// The logger paths a MOSN reports at `/api/v1/get_loglevel` (a JSON object path → level).
    func mosnLoggers(_ adminURL: String) async throws -> [String?] {
        var request = HTTPClientRequest(url: adminURL + "/api/v1/get_loglevel")
        request.method = .GET
        let response = try await client.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 64 << 10)
        guard response.status.code == 200, case let .object(loggers) = try JSON.parse(Array(body.readableBytesView)), !loggers.isEmpty else {
            throw SourceError(source: adminURL, reason: "no loggers at /api/v1/get_loglevel")
        }
        return loggers.keys.sorted()
    }

    public func shutdown() async { try? await client.shutdown() }
}
