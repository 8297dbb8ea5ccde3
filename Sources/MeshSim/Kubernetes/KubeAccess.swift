import Crypto
import Foundation

/// The simulated cluster's users and what each may do. Context names are fixed: tests, the demo
/// and users' scripts rely on them (`meshtop sim --kube --kubeconfig-out FILE`).
public enum KubeSimContext: String, Sendable, CaseIterable {
    /// A bearer-token user with every right (cluster-admin).
    case sim
    /// A client-certificate user with every right.
    case simCert = "sim-cert"
    /// Tokens from an exec credential plugin, expiring after `--kube-token-lifetime`.
    case simExec = "sim-exec"
    /// get/list/watch plus `get pods/proxy`: the pod-metrics tier, no port-forward.
    case simMetrics = "sim-metrics"
    /// get/list/watch, like the built-in `view` role, and `get services/proxy` in istio-system
    /// (to read the Prometheus there): the prometheus-only tier.
    case simView = "sim-view"
    /// get/list/watch everywhere; the pod proxy and port-forwards only in `default`, as a team's
    /// RoleBinding gives them (nothing in istio-system): a tier per namespace.
    case simTeam = "sim-team"

    /// The user name the API server sees.
    var userName: String { "\(rawValue)-user" }

    var rights: KubeRights {
        switch self {
        case .sim, .simCert, .simExec: .everything
        case .simMetrics: .readAndPodProxy
        case .simView: .readOnly
        case .simTeam: .podAccessIn(["default"])
        }
    }
}

/// What a user may do, in RBAC terms: a verb on a resource (and subresource) in a namespace.
enum KubeRights: Sendable {
    case everything
    case readAndPodProxy
    case readOnly
    /// Reads everywhere, the pod proxy and port-forwards in these namespaces only.
    case podAccessIn(Set<String>)

    static let readVerbs: Set<String> = ["get", "list", "watch"]

    func allows(verb: String, resource: String, subresource: String?, namespace: String?) -> Bool {
        // Everyone may ask what they may do (system:basic-user).
        if resource == "selfsubjectaccessreviews" || resource == "selfsubjectrulesreviews" { return verb == "create" }
        switch self {
        case .everything: return true
        case .readOnly:
            if resource == "services", subresource == "proxy" { return verb == "get" && namespace == "istio-system" }
            return subresource == nil && Self.readVerbs.contains(verb)
        case .readAndPodProxy:
            if resource == "pods", subresource == "proxy" { return verb == "get" }
            return subresource == nil && Self.readVerbs.contains(verb)
        case let .podAccessIn(namespaces):
            if resource == "pods", subresource == "proxy" || subresource == "portforward" {
                return namespace.map(namespaces.contains) == true && (subresource == "proxy" ? verb == "get" : ["get", "create"].contains(verb))
            }
            return subresource == nil && Self.readVerbs.contains(verb)
        }
    }

    /// The words of a 403: `pods "x" is forbidden: User "u" cannot create resource "pods/portforward" …`.
    static func forbidden(user: String, verb: String, group: String, resource: String, subresource: String?,
                          name: String?, namespace: String?) -> String {
        let full = subresource.map { "\(resource)/\($0)" } ?? resource
        let subject = name.map { "\(resource) \"\($0)\"" } ?? full
        let groupText = group.isEmpty ? "in API group \"\"" : "in API group \"\(group)\""
        let scope = namespace.map { "in the namespace \"\($0)\"" } ?? "at the cluster scope"
        return "\(subject) is forbidden: User \"\(user)\" cannot \(verb) resource \"\(full)\" \(groupText) \(scope)"
    }
}

/// Who made a request, once the API server has authenticated it.
struct KubeIdentity: Sendable, Equatable {
    var context: KubeSimContext
    var user: String { context.userName }
}

/// Every credential the simulated API server accepts: a random token per token context, the
/// client certificate's common name, and exec tokens signed with a secret the plugin carries
/// (`sim-exec.<unix expiry>.<sha256(secret:expiry)>`), so the plugin needs no way back to the
/// server and an expired token is refused by its own timestamp.
struct KubeCredentials: Sendable {
    let tokens: [KubeSimContext: String]
    let execSecret: String
    let tokenLifetime: TimeInterval
    static let clientCertificateName = "sim-cert-user"

    init(tokenLifetime: TimeInterval) {
        func random() -> String { (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined() }
        var tokens: [KubeSimContext: String] = [:]
        for context in [KubeSimContext.sim, .simMetrics, .simView, .simTeam] { tokens[context] = random() }
        self.tokens = tokens
        execSecret = random()
        self.tokenLifetime = tokenLifetime
    }

    enum Verdict: Equatable {
        case identified(KubeIdentity)
        /// No credential at all (401 too, as with anonymous auth off).
        case anonymous
        /// A credential the server does not accept, and why (for the log, never the client).
        case rejected(String)
    }

    /// Checks the `Authorization` header, then the client certificate's common name.
    func authenticate(authorization: String?, clientCommonName: String?, now: Date) -> Verdict {
        if let authorization {
            guard authorization.hasPrefix("Bearer ") else { return .rejected("not a bearer token") }
            let token = String(authorization.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
            if let context = tokens.first(where: { $0.value == token })?.key { return .identified(KubeIdentity(context: context)) }
            return verifyExec(token, now: now)
        }
        if clientCommonName == Self.clientCertificateName { return .identified(KubeIdentity(context: .simCert)) }
        return .anonymous
    }

    func verifyExec(_ token: String, now: Date) -> Verdict {
        let parts = token.split(separator: ".")
        guard parts.count == 3, parts[0] == "sim-exec", let expiry = Int(parts[1]) else { return .rejected("unknown token") }
        guard Self.signature(secret: execSecret, expiry: expiry) == parts[2] else { return .rejected("bad exec token signature") }
        guard Double(expiry) > now.timeIntervalSince1970 else { return .rejected("exec token expired") }
        return .identified(KubeIdentity(context: .simExec))
    }

    /// What the plugin computes with `sha256sum`: the hex digest of `secret:expiry`.
    static func signature(secret: String, expiry: Int) -> String {
        SHA256.hash(data: Data("\(secret):\(expiry)".utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
