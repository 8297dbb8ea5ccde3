import Foundation
import MeshModel

/// One request of an operator action, before its endpoint is known. Each admin client writes
/// its own (`EnvoyAdminClient.actionRequest`, Linkerd's, MOSN's).
public struct ActionRequest: Sendable, Equatable {
    public var method: MeshMethod
    /// Path and query.
    public var path: String
    public var body: String?
    public var contentType: String?

    public init(_ method: MeshMethod, _ path: String, body: String? = nil, contentType: String? = nil) {
        self.method = method
        self.path = path
        self.body = body
        self.contentType = contentType
    }

    /// The path without its query, as the request policy compares it.
    var barePath: String { QueryText.barePath(path) }

    func request(to endpoint: MeshEndpoint, source: String) -> MeshRequest {
        MeshRequest(method, endpoint, path, source: source, body: body.map { Array($0.utf8) }, contentType: contentType)
    }
}

/// Every request an operator action may send, gathered from the admin clients' own definitions:
/// what `RequestPolicy.operatorActions` lets out besides reads.
enum OperatorActionRequests {
    static func key(_ method: MeshMethod, _ barePath: String) -> String { "\(method.rawValue) \(barePath)" }

    /// The requests of every action of every mesh kind (a sample log level and logger: the
    /// policy compares methods and paths without queries).
    static func all(level: String = "info") -> [(MeshKind, ActionRequest)] {
        OperatorAction.Kind.every(level: level).flatMap { kind -> [(MeshKind, ActionRequest)] in
            MeshKind.allCases.compactMap { mesh in OperatorActionClient.template(kind, mesh: mesh).map { (mesh, $0) } }
        }
    }

    static let allowed: Set<String> = Set(all().map { key($0.1.method, $0.1.barePath) })
}

/// Sends operator actions (product.md §5) to a proxy's admin API through the session's client,
/// whose policy decides at the transport seam, and reports the outcome as an `.action` event.
public struct OperatorActionClient: Sendable {
    public let client: MeshClient

    public init(client: MeshClient) { self.client = client }

    /// The action's request in the proxy's API, with a sample logger for MOSN; nil when the API
    /// has no such action.
    static func template(_ kind: OperatorAction.Kind, mesh: MeshKind) -> ActionRequest? {
        switch mesh {
        case .istioEnvoy, .envoy, .kuma, .consul, .envoyGateway: EnvoyAdminClient.actionRequest(kind)
        case .linkerd: LinkerdAdminClient.actionRequest(kind)
        case .mosn: MosnAdminClient.actionRequest(kind, logger: "stdout")
        case .istioPrometheus, .istiod, .ztunnel: nil
        }
    }

    /// Performs the action and describes what happened (never throws: a refusal or failure is
    /// an event too).
    public func perform(_ action: OperatorAction, at date: Date = Date()) async -> MeshEvent {
        let subject = "proxy \(action.proxyID)"
        let endpoint = MeshEndpoint(address: action.adminURL)
        do throws(SourceError) {
            guard let template = Self.template(action.kind, mesh: action.mesh), action.unsupportedReason == nil else {
                throw SourceError(source: subject, reason: .refused(action.unsupportedReason ?? "\(action.summary) is not an action of this proxy"))
            }
            // Refused before anything is sent, MOSN's logger listing included.
            _ = try client.policy.permit(template.request(to: endpoint, source: subject))
            let requests: [ActionRequest]
            if action.mesh == .mosn {
                let loggers = try await MosnAdminClient(client: client).loggers(endpoint, source: subject)
                requests = loggers.compactMap { MosnAdminClient.actionRequest(action.kind, logger: $0) }
            } else {
                requests = [template]
            }
            for step in requests {
                let request = step.request(to: endpoint, source: subject)
                var outgoing = request
                outgoing.alsoAccept = Set(100...599) // a refusal is the proxy's answer: reported, not thrown
                let response = try await client.send(outgoing)
                guard (200...299).contains(response.status) else {
                    let text = String(decoding: response.body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    return MeshEvent(at: date, kind: .action, subject: subject,
                                     message: "\(action.summary) failed: HTTP \(response.status)\(text.isEmpty ? "" : " (\(text))")", severity: .warning)
                }
            }
            return MeshEvent(at: date, kind: .action, subject: subject, message: "\(action.summary): done (\(template.method.rawValue) \(template.path))",
                             severity: .info)
        } catch {
            switch error.reason {
            case .refused:
                return MeshEvent(at: date, kind: .action, subject: subject, message: "\(action.summary) \(error.reason)", severity: .warning)
            default:
                return MeshEvent(at: date, kind: .action, subject: subject, message: "\(action.summary) failed: \(error.reason) (\(action.adminURL))",
                                 severity: .warning)
            }
        }
    }
}
