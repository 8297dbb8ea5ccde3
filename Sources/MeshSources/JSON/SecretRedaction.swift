import Foundation

/// Removes credentials from configuration before it is stored, shown or exported. Envoy's own
/// config dump redacts private keys, but other sources do not (a MOSN config dump, a captured
/// file, an older or patched proxy), and route configurations can carry credentials in the
/// clear: `request_headers_to_add: [{header: {key: Authorization, value: "Bearer …"}}]`.
public enum SecretRedaction {
    public static let marker = "[redacted]"

    /// Member names whose values are credentials wherever they appear.
    static let secretKeys: Set<String> = [
        "private_key", "privatekey", "password", "passphrase", "client_secret", "clientsecret",
        "authorization", "proxy_authorization", "proxy-authorization", "bearer_token", "bearertoken", "api_key", "apikey",
    ]
    /// Header names whose values are credentials when a config spells a header as `{key|name, value}`.
    static let secretHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"]

    /// The tree with credential values replaced by `[redacted]`.
    public static func redact(_ value: JSON) -> JSON {
        switch value {
        case let .object(members):
            let headerName = (members["key"]?.string ?? members["name"]?.string)?.lowercased()
            let isSecretHeader = headerName.map(secretHeaders.contains) ?? false
            var out: [String: JSON] = [:]
            for (key, member) in members {
                if secretKeys.contains(key.lowercased()), !member.isContainer || key.lowercased() == "private_key" || key.lowercased() == "privatekey" {
                    out[key] = .string(marker)
                } else if isSecretHeader, key == "value" || key == "string_value" || key == "stringValue" {
                    out[key] = .string(marker)
                } else {
                    out[key] = redact(member)
                }
            }
            return .object(out)
        case let .array(items):
            return .array(items.map(redact))
        case let .string(text):
            return .string(redact(text: text))
        default:
            return value
        }
    }

    /// Text with PEM private-key blocks and `Bearer`/`Basic` credentials replaced.
    public static func redact(text: String) -> String {
        guard text.contains("PRIVATE KEY-----") || text.range(of: "bearer ", options: .caseInsensitive) != nil
            || text.range(of: "basic ", options: .caseInsensitive) != nil else { return text }
        var out = text
        let pem = #"-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----"#
        out = out.replacingOccurrences(of: pem, with: "-----BEGIN $1PRIVATE KEY-----\n\(marker)\n-----END $1PRIVATE KEY-----", options: .regularExpression)
        out = out.replacingOccurrences(of: #"(?i)\b(bearer|basic) +[A-Za-z0-9._~+/=-]{8,}"#, with: "$1 \(marker)", options: .regularExpression)
        return out
    }
}

extension SecretRedaction {
    /// A URL without the password of its user info (`http://user:secret@host` → `http://user:[redacted]@host`).
    public static func url(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@"),
              !url[scheme.upperBound..<at].contains("/") else { return url }
        let userInfo = url[scheme.upperBound..<at]
        let user = userInfo.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        return url[..<scheme.upperBound] + user + ":" + marker + url[at...]
    }
}

extension JSON {
    var isContainer: Bool {
        switch self {
        case .object, .array: true
        default: false
        }
    }
}
