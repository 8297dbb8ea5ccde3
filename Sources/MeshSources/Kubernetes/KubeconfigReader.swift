import Foundation
import Yams

extension Kubeconfig {
    /// One file's text. Unknown fields are ignored; a field of the wrong type, a nameless or
    /// repeated entry and YAML that does not parse are errors at `file:line`.
    public static func parse(_ text: String, file: String) throws(SourceError) -> Kubeconfig {
        let reader = KubeconfigReader(file: file)
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw reader.malformed(error) }
        var config = Kubeconfig(files: [file], clusters: [], users: [], contexts: [], currentContext: nil)
        // An empty file is an empty config to kubectl, not an error.
        guard let top = try reader.mapping(root, "the document") else { return config }
        if let kind = try reader.string(top["kind"], "kind"), kind != "Config" {
            throw reader.failure("kind is \(kind), not Config: not a kubeconfig", at: top["kind"])
        }
        if let version = try reader.string(top["apiVersion"], "apiVersion"), version != "v1" {
            throw reader.failure("apiVersion is \(version); kubeconfig files are v1", at: top["apiVersion"])
        }
        config.currentContext = try reader.string(top["current-context"], "current-context").flatMap { $0.isEmpty ? nil : $0 }
        for entry in try reader.entries(top["clusters"], "clusters", body: "cluster") {
            let field = entry.field, body = entry.body
            config.clusters.append(Cluster(
                name: entry.name, server: try reader.string(body?["server"], field + ".server"),
                certificateAuthority: try reader.path(body?["certificate-authority"], field + ".certificate-authority"),
                certificateAuthorityData: try reader.string(body?["certificate-authority-data"], field + ".certificate-authority-data"),
                insecureSkipTLSVerify: try reader.bool(body?["insecure-skip-tls-verify"], field + ".insecure-skip-tls-verify"),
                tlsServerName: try reader.string(body?["tls-server-name"], field + ".tls-server-name"),
                proxyURL: try reader.string(body?["proxy-url"], field + ".proxy-url"), origin: entry.origin))
        }
        for entry in try reader.entries(top["users"], "users", body: "user") {
            let field = entry.field, body = entry.body
            config.users.append(User(
                name: entry.name, token: try reader.string(body?["token"], field + ".token").map(Credential.init),
                tokenFile: try reader.path(body?["tokenFile"], field + ".tokenFile"),
                clientCertificate: try reader.path(body?["client-certificate"], field + ".client-certificate"),
                clientCertificateData: try reader.string(body?["client-certificate-data"], field + ".client-certificate-data"),
                clientKey: try reader.path(body?["client-key"], field + ".client-key"),
                clientKeyData: try reader.string(body?["client-key-data"], field + ".client-key-data"),
                exec: try reader.exec(body?["exec"], field + ".exec"), origin: entry.origin))
        }
        for entry in try reader.entries(top["contexts"], "contexts", body: "context") {
            let field = entry.field, body = entry.body
            config.contexts.append(Context(
                name: entry.name, cluster: try reader.string(body?["cluster"], field + ".cluster") ?? "",
                user: try reader.string(body?["user"], field + ".user") ?? "",
                namespace: try reader.string(body?["namespace"], field + ".namespace"), origin: entry.origin))
        }
        return config
    }
}

/// Walks one file's YAML tree; every failure names the file and, from the node's mark, the line.
struct KubeconfigReader {
    struct Entry {
        var name: String
        var body: Node.Mapping?
        var origin: KubeconfigOrigin
        /// How errors name a field of this entry: `clusters[prod].cluster`.
        var field: String
    }

    let file: String
    /// Absolute, so that a relative kubeconfig path given on the command line still anchors its references.
    let directory: String

    init(file: String) {
        self.file = file
        directory = URL(fileURLWithPath: file).deletingLastPathComponent().path
    }

    func failure(_ reason: String, at node: Node?) -> SourceError {
        SourceError(source: "kubeconfig \(file)" + (node?.mark.map { ":\($0.line)" } ?? ""), reason: .unexpectedAnswer(reason))
    }

    func malformed(_ error: any Error) -> SourceError {
        let source = "kubeconfig \(file)"
        switch error as? YamlError {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let during = context.map { " (\($0.text))" } ?? ""
            return SourceError(source: "\(source):\(mark.line)", reason: .unexpectedAnswer("not YAML: \(problem)\(during)"))
        case let .duplicatedKeysInMapping(duplicates, context):
            return SourceError(source: "\(source):\(context.mark.line)",
                               reason: .unexpectedAnswer("not YAML: key \(duplicates.joined(separator: ", ")) given twice"))
        default:
            return SourceError(source: source, reason: .unexpectedAnswer("not YAML: \(error)"))
        }
    }

    func origin(_ node: Node) -> KubeconfigOrigin { KubeconfigOrigin(file: file, line: node.mark?.line ?? 0) }

    /// nil for a field that is absent or null (`clusters:` with nothing after it).
    private func present(_ node: Node?) -> Node? {
        guard let node, !(node.scalar != nil && node.null != nil) else { return nil }
        return node
    }

    private func shape(_ node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar, .alias: "a scalar"
        }
    }

    func mapping(_ node: Node?, _ field: String) throws(SourceError) -> Node.Mapping? {
        guard let node = present(node) else { return nil }
        guard let mapping = node.mapping else { throw failure("\(field) must be a mapping, not \(shape(node))", at: node) }
        return mapping
    }

    func sequence(_ node: Node?, _ field: String) throws(SourceError) -> [Node] {
        guard let node = present(node) else { return [] }
        guard let sequence = node.sequence else { throw failure("\(field) must be a list, not \(shape(node))", at: node) }
        return Array(sequence)
    }

    func string(_ node: Node?, _ field: String) throws(SourceError) -> String? {
        guard let node = present(node) else { return nil }
        guard let scalar = node.scalar else { throw failure("\(field) must be a string, not \(shape(node))", at: node) }
        return scalar.string
    }

    func bool(_ node: Node?, _ field: String) throws(SourceError) -> Bool {
        guard let node = present(node) else { return false }
        guard let value = node.bool else { throw failure("\(field) must be true or false", at: node) }
        return value
    }

    /// A file reference, absolute.
    func path(_ node: Node?, _ field: String) throws(SourceError) -> String? {
        guard let value = try string(node, field), !value.isEmpty else { return nil }
        return anchored(value)
    }

    private func anchored(_ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true)).standardizedFileURL.path
    }

    /// The `{name, <body>}` entries of `clusters`, `users` or `contexts`.
    func entries(_ node: Node?, _ field: String, body key: String) throws(SourceError) -> [Entry] {
        var entries: [Entry] = []
        for item in try sequence(node, field) {
            guard let map = item.mapping else { throw failure("\(field): each entry must be a mapping with name and \(key)", at: item) }
            guard let name = try string(map["name"], "\(field)[].name"), !name.isEmpty else {
                throw failure("\(field): an entry without a name", at: item)
            }
            guard !entries.contains(where: { $0.name == name }) else { throw failure("\(field): \(name) is defined twice", at: item) }
            let bodyField = "\(field)[\(name)].\(key)"
            entries.append(Entry(name: name, body: try mapping(map[key], bodyField), origin: origin(item), field: bodyField))
        }
        return entries
    }

    func exec(_ node: Node?, _ field: String) throws(SourceError) -> ExecPluginConfig? {
        guard let node, let map = try mapping(node, field) else { return nil }
        var env: [ExecPluginConfig.Variable] = []
        for item in try sequence(map["env"], field + ".env") {
            guard let pair = item.mapping, let name = try string(pair["name"], field + ".env[].name") else {
                throw failure("\(field).env: each entry must be a mapping with name and value", at: item)
            }
            env.append(.init(name: name, value: try string(pair["value"], field + ".env[\(name)].value") ?? ""))
        }
        var args: [String] = []
        for item in try sequence(map["args"], field + ".args") { args.append(try string(item, field + ".args[]") ?? "") }
        let mode = try string(map["interactiveMode"], field + ".interactiveMode")
        let interactiveMode = try mode.map { value throws(SourceError) in
            guard let known = ExecPluginConfig.InteractiveMode(rawValue: value) else {
                throw failure("\(field).interactiveMode is \(value), not Never, IfAvailable or Always", at: map["interactiveMode"])
            }
            return known
        }
        let command = try string(map["command"], field + ".command") ?? ""
        return ExecPluginConfig(
            apiVersion: try string(map["apiVersion"], field + ".apiVersion") ?? "",
            // kubectl anchors a command only when it is a path: `aws` stays a PATH lookup.
            command: command.contains("/") ? anchored(command) : command,
            args: args, env: env, installHint: try string(map["installHint"], field + ".installHint"),
            provideClusterInfo: try bool(map["provideClusterInfo"], field + ".provideClusterInfo"),
            interactiveMode: interactiveMode, origin: origin(node))
    }
}
