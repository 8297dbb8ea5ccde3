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

    static let actionPaths: Set<String> = ["/logging", "/healthcheck/fail", "/healthcheck/ok", "/reset_counters"]

    /// Throws unless `method` to `path` is allowed.
    public func check(method: HTTPMethod, path: String) throws {
        if method == .GET || method == .HEAD { return }
        let bare = String(path.split(separator: "?", maxSplits: 1).first ?? "")
        guard self == .operatorActions, method == .POST, Self.actionPaths.contains(bare) else {
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
            try policy.check(method: .POST, path: action.path)
            var request = HTTPClientRequest(url: action.adminURL + action.path)
            request.method = .POST
            let response = try await client.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 64 << 10)
            let text = String(decoding: body.readableBytesView.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard response.status.code == 200 else {
                return MeshEvent(at: date, kind: .action, subject: subject,
                                 message: "\(action.summary) failed: HTTP \(response.status.code)\(text.isEmpty ? "" : " (\(text))")", severity: .warning)
            }
            return MeshEvent(at: date, kind: .action, subject: subject, message: "\(action.summary): done (POST \(action.path))", severity: .info)
        } catch let error as SourceError {
            return MeshEvent(at: date, kind: .action, subject: subject, message: "\(action.summary) \(error.reason)", severity: .warning)
        } catch {
            return MeshEvent(at: date, kind: .action, subject: subject,
                             message: "\(action.summary) failed: \(HTTPFetcher.describe(error)) (\(action.adminURL))", severity: .warning)
        }
    }

    public func shutdown() async { try? await client.shutdown() }
}
