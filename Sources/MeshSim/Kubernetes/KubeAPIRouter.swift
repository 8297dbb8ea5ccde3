import Foundation

/// What the API server does with one request: answer it, stream a watch, or proxy it to a pod.
enum KubeAnswer {
    case response(SimResponse)
    case watch(KubeWatchRequest)
    case podProxy(pod: KubeSimPod, port: Int, request: SimRequest)
    /// A Service's port through the service proxy, relayed to the real server behind it.
    case relay(url: String, request: SimRequest)
}

/// A watch to stream: which pods, from which version (nil: the current list as ADDED first).
struct KubeWatchRequest {
    var resource: KubeResource
    var namespace: String?
    var labels: KubeSelector
    var fields: KubeSelector
    var after: Int?
}

/// Routes the simulated API server's requests (mesh-apis.md §9.2): discovery, lists and gets
/// with selectors and pagination, server-side tables, SelfSubjectAccessReview, the pod proxy;
/// RBAC from the caller's context, errors as `Status` objects. Read-only: the simulated
/// cluster's objects follow the simulation, never a client's writes.
struct KubeAPIRouter {
    let cluster: KubeCluster
    let serverAddress: String

    func route(_ request: SimRequest, identity: KubeIdentity) -> KubeAnswer {
        let path = request.path
        switch path {
        case "/version", "/version/": return .response(.json(KubeDiscovery.version(), pretty: true))
        case "/healthz", "/livez", "/readyz": return .response(.text(200, "ok"))
        case "/api", "/api/": return .response(.json(KubeDiscovery.coreVersions(serverAddress: serverAddress), pretty: false))
        case "/apis", "/apis/": return .response(.json(KubeDiscovery.groupList(), pretty: false))
        default: break
        }
        let segments = path.split(separator: "/").map(String.init)
        if segments.count == 2, segments[0] == "api", let list = KubeDiscovery.resources(group: "", version: segments[1]) {
            return .response(.json(list, pretty: false))
        }
        if segments.count == 2, segments[0] == "apis", let group = KubeDiscovery.group(segments[1]) { return .response(.json(group, pretty: false)) }
        if segments.count == 3, segments[0] == "apis", let list = KubeDiscovery.resources(group: segments[1], version: segments[2]) {
            return .response(.json(list, pretty: false))
        }
        guard let target = KubePath(path),
              let resource = KubeResources.find(group: target.group, version: target.version, plural: target.resource)
        else { return .response(Self.status(404, "NotFound", "the server could not find the requested resource")) }

        if resource.plural == "selfsubjectaccessreviews" { return .response(review(request, identity: identity)) }
        let verb = Self.verb(request, target: target)
        let namespace = target.namespace
        guard cluster.allows(identity, verb: verb, resource: resource.plural, subresource: target.subresource, namespace: namespace) else {
            let message = KubeRights.forbidden(user: identity.user, verb: verb, group: resource.group, resource: resource.plural,
                                               subresource: target.subresource, name: target.proxyTarget?.name ?? target.name, namespace: namespace)
            return .response(Self.status(403, "Forbidden", message, details: (resource, target.name)))
        }
        switch target.subresource {
        case "proxy": return resource.plural == "services" ? serviceProxy(request, target: target) : podProxy(request, target: target)
        case "portforward":
            if let name = target.name, let namespace = target.namespace, cluster.pod(named: name, namespace: namespace) == nil {
                return .response(Self.status(404, "NotFound", "pods \"\(name)\" not found", details: (resource, name)))
            }
            return .response(Self.status(400, "BadRequest", "Upgrade request required"))
        case let other?:
            return .response(Self.status(404, "NotFound", "the server could not find the requested resource (\(other))"))
        case nil: break
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .response(Self.status(405, "MethodNotAllowed", "the simulated cluster follows the simulation: \(request.method) is not supported"))
        }
        if let name = target.name { return .response(get(resource, namespace: target.namespace, name: name, request: request)) }
        return list(resource, namespace: target.namespace, request: request)
    }

    static func verb(_ request: SimRequest, target: KubePath) -> String {
        switch request.method {
        case "GET", "HEAD":
            // A port-forward (or exec, attach) is a WebSocket upgrade of a GET, which API servers
            // since 1.35 authorise as `create`, as the SPDY POST always was.
            if ["portforward", "exec", "attach"].contains(target.subresource ?? "") { return "create" }
            if target.subresource != nil || target.name != nil { return "get" }
            return ["1", "true"].contains(request.query["watch"] ?? "") ? "watch" : "list"
        case "POST": return "create"
        case "PUT": return "update"
        case "PATCH": return "patch"
        case "DELETE": return target.name == nil ? "deletecollection" : "delete"
        default: return request.method.lowercased()
        }
    }

    func get(_ resource: KubeResource, namespace: String?, name: String, request: SimRequest) -> SimResponse {
        let found = cluster.list(resource).objects.first {
            $0["metadata"]?["name"]?.stringValue == name && (namespace == nil || $0["metadata"]?["namespace"]?.stringValue == namespace)
        }
        guard let found else { return Self.status(404, "NotFound", "\(resource.plural) \"\(name)\" not found", details: (resource, name)) }
        if KubeTable.wantsTable(accept: request.header("Accept")) {
            return .json(KubeTable.table(resource, objects: [found], metadata: obj(("resourceVersion", found["metadata"]?["resourceVersion"])),
                                         now: cluster.simulator.now()), pretty: false)
        }
        return .json(found, pretty: false)
    }

    func list(_ resource: KubeResource, namespace: String?, request: SimRequest) -> KubeAnswer {
        let query = request.query
        let labels: KubeSelector
        let fields: KubeSelector
        do {
            labels = try KubeSelector(query["labelSelector"] ?? "")
            fields = try KubeSelector(query["fieldSelector"] ?? "", fields: true)
        } catch {
            return .response(Self.status(400, "BadRequest", error.text))
        }
        if let field = fields.keys.first(where: { !KubeFieldSelectors.supported($0, resource: resource.plural) }) {
            return .response(Self.status(400, "BadRequest", "field label not supported: \(field)"))
        }
        if ["1", "true"].contains(query["watch"] ?? "") {
            let after = query["resourceVersion"].flatMap(Int.init).flatMap { $0 == 0 ? nil : $0 }
            return .watch(KubeWatchRequest(resource: resource, namespace: namespace, labels: labels, fields: fields, after: after))
        }
        let (objects, version) = cluster.list(resource)
        var matching = objects.filter { object in
            (namespace == nil || object["metadata"]?["namespace"]?.stringValue == namespace) && labels.matchesLabels(of: object) && fields.matchesFields(of: object)
        }
        var metadata: [(String, JSONValue?)] = [("resourceVersion", .string(String(version)))]
        if let token = query["continue"], !token.isEmpty {
            guard let page = KubeContinue(token: token) else {
                return .response(Self.status(400, "BadRequest", "continue key is not valid: the token could not be decoded"))
            }
            guard page.resourceVersion >= cluster.oldestServed else {
                return .response(Self.status(410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter."))
            }
            matching = matching.filter { KubeObjects.namespaceName($0) > page.after }
        }
        if let limit = query["limit"].flatMap(Int.init), limit > 0, matching.count > limit {
            let remaining = matching.count - limit
            matching = Array(matching.prefix(limit))
            let next = KubeContinue(resourceVersion: version, after: KubeObjects.namespaceName(matching[limit - 1]))
            metadata += [("continue", .string(next.token)), ("remainingItemCount", .int(remaining))]
        }
        if KubeTable.wantsTable(accept: request.header("Accept")) {
            return .response(.json(KubeTable.table(resource, objects: matching, metadata: .object(metadata.compactMap { k, v in v.map { (k, $0) } }),
                                                   now: cluster.simulator.now()), pretty: false))
        }
        return .response(.json(obj(("kind", .string(resource.kind + "List")), ("apiVersion", .string(resource.groupVersion)),
                                   ("metadata", .object(metadata.compactMap { k, v in v.map { (k, $0) } })), ("items", .array(matching))), pretty: false))
    }

    func review(_ request: SimRequest, identity: KubeIdentity) -> SimResponse {
        guard request.method == "POST" else { return Self.status(405, "MethodNotAllowed", "only create is supported") }
        guard let question = KubeAccessQuestion.decode(request.body, contentType: request.header("Content-Type")) else {
            return Self.status(400, "BadRequest", "the body is not a SelfSubjectAccessReview")
        }
        let allowed = question.path != nil
            ? cluster.allows(identity, verb: question.verb, resource: "nonresource", subresource: nil, namespace: nil)
            : cluster.allows(identity, verb: question.verb, resource: question.resource, subresource: question.subresource, namespace: question.namespace)
        let reason = allowed ? "RBAC: allowed by ClusterRoleBinding \"\(identity.context.rawValue)\" of ClusterRole \"meshtop-\(identity.context.rawValue)\" to User \"\(identity.user)\"" : ""
        return .json(question.answer(allowed: allowed, reason: reason), pretty: false, status: 201)
    }

    func podProxy(_ request: SimRequest, target: KubePath) -> KubeAnswer {
        guard let (name, port) = target.proxyTarget, let namespace = target.namespace else {
            return .response(Self.status(404, "NotFound", "the server could not find the requested resource"))
        }
        guard let pod = cluster.pod(named: name, namespace: namespace) else {
            return .response(Self.status(404, "NotFound", "pods \"\(name)\" not found", details: (KubeResources.all[1], name)))
        }
        let podPort = port ?? 80
        guard KubePodPorts.listens(pod, port: podPort, fromLocalhost: false) else {
            let ip = cluster.podIP(pod)
            return .response(Self.status(503, "ServiceUnavailable", "error trying to reach service: dial tcp \(ip):\(podPort): connect: connection refused"))
        }
        var forwarded = request
        let query = request.uri.firstIndex(of: "?").map { String(request.uri[$0...]) } ?? ""
        forwarded.uri = target.rest + query
        // The API server's proxy sends neither the caller's credentials nor its address.
        forwarded.headers = request.headers.filter { !["authorization", "cookie"].contains($0.0.lowercased()) }
        forwarded.remoteIsLoopback = false
        return .podProxy(pod: pod, port: podPort, request: forwarded)
    }

    /// The one Service with something behind it: the Prometheus of `--kube-prometheus`.
    func serviceProxy(_ request: SimRequest, target: KubePath) -> KubeAnswer {
        let prometheus = KubeObjects.prometheusService
        guard let (name, port) = target.proxyTarget, target.namespace == prometheus.namespace, name == prometheus.name,
              let url = cluster.simulator.options.kube?.prometheusURL else {
            let name = target.proxyTarget?.name ?? target.name ?? ""
            return .response(Self.status(404, "NotFound", "services \"\(name)\" not found", details: (KubeResources.all[2], name)))
        }
        guard port == nil || port == prometheus.port else {
            return .response(Self.status(503, "ServiceUnavailable", "no endpoints available for service \"\(name):\(port ?? 0)\""))
        }
        var forwarded = request
        let query = request.uri.firstIndex(of: "?").map { String(request.uri[$0...]) } ?? ""
        forwarded.uri = target.rest + query
        forwarded.headers = request.headers.filter { !["authorization", "cookie"].contains($0.0.lowercased()) }
        return .relay(url: url.hasSuffix("/") ? String(url.dropLast()) : url, request: forwarded)
    }

    /// A `Status` failure as the API server writes it.
    static func status(_ code: Int, _ reason: String, _ message: String, details: (KubeResource, String?)? = nil) -> SimResponse {
        .json(statusObject(code, reason, message, details: details), pretty: false, status: code)
    }

    static func statusObject(_ code: Int, _ reason: String, _ message: String, details: (KubeResource, String?)? = nil) -> JSONValue {
        let detail: JSONValue? = details.map { resource, name in
            obj(("name", name.map(JSONValue.string)), ("group", resource.group.isEmpty ? nil : .string(resource.group)), ("kind", .string(resource.plural)))
        }
        return obj(("kind", "Status"), ("apiVersion", "v1"), ("metadata", obj()), ("status", "Failure"), ("message", .string(message)),
                   ("reason", .string(reason)), ("details", detail), ("code", .int(code)))
    }
}

/// A list continuation: the version the list was cut at and the last key served.
struct KubeContinue {
    var resourceVersion: Int
    var after: String

    init(resourceVersion: Int, after: String) {
        self.resourceVersion = resourceVersion
        self.after = after
    }

    init?(token: String) {
        var text = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text), let decoded = String(data: data, encoding: .utf8),
              let separator = decoded.firstIndex(of: ":"), let version = Int(decoded[..<separator]) else { return nil }
        resourceVersion = version
        after = String(decoded[decoded.index(after: separator)...])
    }

    var token: String {
        Data("\(resourceVersion):\(after)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
