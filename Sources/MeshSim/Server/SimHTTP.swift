import Foundation

/// A request as the simulator's routers see it.
public struct SimRequest: Sendable {
    public var method: String
    /// Path and query as received, e.g. `/config_dump?resource=dynamic_active_clusters`.
    public var uri: String
    public var headers: [(String, String)]
    /// `host:port` of the listening socket that received it.
    public var localAddress: String
    public var remoteIsLoopback: Bool
    /// The request body (admin actions: a MOSN log level, a Linkerd log filter).
    public var body: [UInt8] = []

    public init(method: String, uri: String, headers: [(String, String)] = [], localAddress: String, remoteIsLoopback: Bool = true) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.localAddress = localAddress
        self.remoteIsLoopback = remoteIsLoopback
    }

    public var path: String { String(uri.split(separator: "?", maxSplits: 1).first ?? "") }

    /// Query parameters in order; a bare flag (`include_eds`) has an empty value.
    public var queryItems: [(String, String)] {
        guard let mark = uri.firstIndex(of: "?") else { return [] }
        return uri[uri.index(after: mark)...].split(separator: "&").map { part in
            let pieces = part.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            return (pieces[0], pieces.count > 1 ? pieces[1] : "")
        }
    }

    public var query: [String: String] {
        var out: [String: String] = [:]
        for (key, value) in queryItems where out[key] == nil { out[key] = value }
        return out
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// A response: status, content type and body bytes.
public struct SimResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    /// Headers besides Content-Type and Content-Length (`Retry-After` on a 429).
    public var headers: [(String, String)] = []

    public init(status: Int, contentType: String = "text/plain; charset=UTF-8", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    public static func text(_ status: Int, _ text: String) -> SimResponse {
        SimResponse(status: status, body: Array(text.utf8))
    }

    public static func json(_ value: JSONValue, pretty: Bool, status: Int = 200) -> SimResponse {
        SimResponse(status: status, contentType: "application/json", body: JSONWriter.write(value, pretty: pretty))
    }
}
