/// A Kubernetes API path taken apart: `/api/v1/namespaces/NS/pods/NAME/proxy/stats/prometheus`
/// is group "", version v1, namespace NS, resource pods, name NAME, subresource proxy, rest
/// `/stats/prometheus`. Cluster-wide lists have no namespace; `/api/v1/namespaces/NS` is the
/// namespace object itself.
struct KubePath: Equatable {
    var group: String
    var version: String
    var namespace: String?
    var resource: String
    var name: String?
    var subresource: String?
    /// What follows a `proxy` subresource, with its leading slash (`/` when nothing does).
    var rest: String = "/"

    init(group: String, version: String, namespace: String? = nil, resource: String, name: String? = nil, subresource: String? = nil) {
        self.group = group
        self.version = version
        self.namespace = namespace
        self.resource = resource
        self.name = name
        self.subresource = subresource
    }

    init?(_ path: String) {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        if parts.last == "" && parts.count > 1 { parts.removeLast() }
        if parts.first == "api", parts.count >= 3 {
            group = ""
            version = parts[1]
            parts.removeFirst(2)
        } else if parts.first == "apis", parts.count >= 4 {
            group = parts[1]
            version = parts[2]
            parts.removeFirst(3)
        } else {
            return nil
        }
        if parts.first == "namespaces", parts.count >= 3 {
            namespace = parts[1]
            parts.removeFirst(2)
        }
        resource = parts.removeFirst()
        if !parts.isEmpty { name = parts.removeFirst() }
        if !parts.isEmpty { subresource = parts.removeFirst() }
        if !parts.isEmpty || path.hasSuffix("/proxy/") { rest = "/" + parts.joined(separator: "/") }
    }

    /// `[scheme:]NAME[:PORT]` of a pod proxy path, as (name, port).
    var proxyTarget: (name: String, port: Int?)? {
        guard let name else { return nil }
        let pieces = name.split(separator: ":").map(String.init)
        switch pieces.count {
        case 1: return (pieces[0], nil)
        case 2: return Int(pieces[1]).map { (pieces[0], $0) } ?? (pieces[1], nil)
        case 3: return Int(pieces[2]).map { (pieces[1], $0) }
        default: return nil
        }
    }
}
