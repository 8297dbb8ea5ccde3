import Foundation

/// A failure that names its source and says what went wrong, as a typed reason whose text is
/// derived from it: "istiod http://10.0.0.5:15014/debug/syncz: HTTP 401 — supply --token-file".
/// Code decides on the reason (`isUnreachable`, a status), never on the text.
public struct SourceError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Who and where: "proxy reviews-v1-….default http://127.0.0.1:15000/stats/prometheus".
    public var source: String
    public var reason: Reason

    public init(source: String, reason: Reason) {
        self.source = source
        self.reason = reason
    }

    public var description: String { "\(source): \(reason)" }

    /// The same failure with another name for its source (a caller that knows better).
    public func named(_ source: String) -> SourceError { SourceError(source: source, reason: reason) }

    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// No answer within the deadline (connecting or waiting for the head).
        case timedOut
        /// The head came, the body was still arriving at the deadline (a dripping endpoint).
        case bodyTimedOut(seconds: Double)
        case connectionReset
        case connectionClosed
        case connectionRefused
        /// A status the API does not answer with (401 and 403 are `.auth`).
        case httpStatus(Int, body: String)
        /// 401 or 403, or a credential that could not be had.
        case auth(AuthFailure)
        /// 429: the server asks to come back after this many seconds (`Retry-After`).
        case throttled(retryAfter: Double)
        case tooLarge(limit: Int)
        /// The head came, then the connection failed while the body was arriving.
        indirect case bodyNotRead(Reason)
        /// A Prometheus text body that is not one, where it stops being one.
        case notExposition(line: Int, column: Int, detail: String)
        /// A JSON body that is not JSON, at a line.
        case notJSON(line: Int, detail: String)
        /// Well-formed, but not what this API answers ("server_info: no version").
        case unexpectedAnswer(String)
        /// `Content-Type: text/html`: a login page or an ingress error page, not the API.
        case htmlAnswer
        case tls(String)
        /// The session's request policy did not let the request out.
        case refused(String)
        /// A Prometheus query the server rejected, with its own message.
        case queryFailed(status: Int, message: String)
        /// A file or directory that cannot be read.
        case unreadable(String)
        /// Anything else a transport reported, in its words.
        case other(String)

        public var description: String {
            switch self {
            case .timedOut: "timed out"
            case let .bodyTimedOut(seconds): "timed out: the body was still arriving after \(seconds.formatted()) s"
            case .connectionReset: "connection reset by peer"
            case .connectionClosed: "connection closed by the server"
            case .connectionRefused: "connection refused"
            case let .httpStatus(code, body): "HTTP \(code)" + Self.quoted(body)
            case let .auth(failure): "\(failure)"
            case let .throttled(seconds): "HTTP 429 — the server is throttling requests, retry after \(seconds.formatted()) s"
            case let .tooLarge(limit): "body larger than \(limit) bytes (--max-body)"
            case let .bodyNotRead(reason): "body not read: \(reason)"
            case let .notExposition(line, column, detail): "not exposition text at line \(line):\(column): \(detail)"
            case let .notJSON(line, detail): "not JSON at line \(line): \(detail)"
            case let .unexpectedAnswer(text): text
            case .htmlAnswer: "answered an HTML page (Content-Type: text/html), not the API — is a proxy or login page in front of it?"
            case let .tls(text): "TLS: \(text)"
            case let .refused(text): "refused: \(text)"
            case let .queryFailed(status, message): "HTTP \(status): \(message)"
            case let .unreadable(text): text
            case let .other(text): text
            }
        }

        /// The endpoint cannot be reached at all: its other paths would fail the same way, one
        /// deadline each.
        public var isUnreachable: Bool {
            switch self {
            case .timedOut, .connectionRefused: true
            default: false
            }
        }

        /// A 401: the credential is missing or not accepted.
        public var isUnauthorized: Bool {
            if case .auth(.unauthorized) = self { return true }
            return false
        }

        /// The first 200 characters of an error body, in brackets, or nothing.
        static func quoted(_ body: String) -> String {
            let text = body.trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? "" : " (\(text.prefix(200)))"
        }
    }

    /// Why a request was not authorised.
    public enum AuthFailure: Sendable, Equatable, CustomStringConvertible {
        /// 401: no credential, or one the server does not accept.
        case unauthorized(body: String)
        /// 403: a credential whose identity may not read this.
        case forbidden(body: String)
        /// A credential that could not be read or obtained.
        case credential(String)

        public var description: String {
            switch self {
            case let .unauthorized(body): "HTTP 401 — supply --token-file" + Reason.quoted(body)
            case let .forbidden(body): "HTTP 403 — the token's identity may not read this path" + Reason.quoted(body)
            case let .credential(text): text
            }
        }
    }

    /// A decoder's error as a reason: exposition and JSON errors keep their position, a shape
    /// error its words.
    public static func decoding(_ error: any Error) -> Reason {
        switch error {
        case let error as SourceError: error.reason
        case let error as ExpositionError: .notExposition(line: error.line, column: error.column, detail: error.reason)
        case let error as JSONScanner.Failure: .notJSON(line: error.line, detail: error.reason)
        case let error as FormatError: .unexpectedAnswer(error.description)
        default: .unexpectedAnswer("\(error)")
        }
    }

    /// Runs a decoder over a body read from `source`; what it throws names that source.
    public static func decode<T>(_ source: String, _ parse: () throws -> T) throws(SourceError) -> T {
        do { return try parse() } catch { throw SourceError(source: source, reason: decoding(error)) }
    }
}
