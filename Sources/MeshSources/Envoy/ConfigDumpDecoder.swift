import Foundation

/// Decodes `/config_dump` (v3 or v2alpha, snake_case or lowerCamelCase, full or `?resource=`)
/// into a `ConfigDump`, streaming: only the fields meshtop shows are materialised.
public enum ConfigDumpDecoder {
    public static func decode(_ bytes: [UInt8]) throws -> ConfigDump {
        try bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            var dump = ConfigDump()
            try scanner.object { scanner, key in
                guard key == "configs" else { return try scanner.skip() }
                try scanner.array { scanner in
                    dump.configCount += 1
                    try element(&scanner, into: &dump)
                }
            }
            try scanner.end()
            if dump.configCount == 0 {
                // A bare dump (istioctl's testdata, `jq .configs[0]` output): one element at the top.
                var single = JSONScanner(buffer)
                try element(&single, into: &dump)
                try single.end()
                dump.configCount = dump.nodeID != nil || dump.istioVersion != nil || !dump.clusters.isEmpty || !dump.listeners.isEmpty
                    || !dump.routeConfigs.isEmpty || !dump.secrets.isEmpty ? 1 : 0
            }
            return dump
        }
    }

    /// Field names in snake_case whatever the producer used.
    static func snake(_ key: String) -> String {
        key.utf8.contains { $0 >= 0x41 && $0 <= 0x5A } ? JSON.snake(key) : key
    }

    /// One element of `configs`: a whole dump (BootstrapConfigDump, ClustersConfigDump, …) or,
    /// with `?resource=`, one resource (`…ClustersConfigDump.DynamicCluster`).
    static func element(_ scanner: inout JSONScanner, into dump: inout ConfigDump) throws {
        var type: String?
        var resourceFields: [String: JSON] = [:]
        var understood = false
        try scanner.object { scanner, rawKey in
            let key = snake(rawKey)
            switch key {
            case "@type":
                type = try scanner.string()
                if dump.apiVersion == nil, let type { dump.apiVersion = type.contains(".v2alpha.") ? "v2alpha" : (type.contains(".v3.") ? "v3" : nil) }
            case "bootstrap":
                understood = true
                try bootstrap(&scanner, into: &dump)
            case "static_clusters", "dynamic_active_clusters", "dynamic_warming_clusters":
                understood = true
                try scanner.array { scanner in dump.clusters.append(try cluster(&scanner, dynamic: key != "static_clusters")) }
            case "static_listeners", "dynamic_listeners", "dynamic_active_listeners":
                understood = true
                try scanner.array { scanner in dump.listeners.append(try listener(&scanner)) }
            case "static_route_configs", "dynamic_route_configs":
                understood = true
                try scanner.array { scanner in
                    if let config = try routeConfigWrapper(&scanner) { dump.routeConfigs.append(config) }
                }
            case "static_endpoint_configs", "dynamic_endpoint_configs":
                understood = true
                try scanner.array { scanner in
                    dump.endpointConfigs += 1
                    try scanner.skip()
                }
            case "static_secrets", "dynamic_active_secrets", "dynamic_warming_secrets":
                understood = true
                try scanner.array { scanner in
                    dump.secrets.append(try secret(&scanner, warming: key == "dynamic_warming_secrets"))
                }
            case "cluster", "listener", "route_config", "secret", "active_state", "name", "version_info", "error_state":
                // A single resource from `?resource=`: keep its fields and decode it below.
                resourceFields[key] = try scanner.value()
            default:
                try scanner.skip()
            }
        }
        // `?mask=` can drop the element's `@type`; its one resource field still says what it is.
        guard let type = type ?? inferredType(resourceFields) else { return }
        if type.hasSuffix("ConfigDump.DynamicCluster") || type.hasSuffix("ConfigDump.StaticCluster") {
            dump.clusters.append(clusterFrom(resourceFields, dynamic: type.hasSuffix("DynamicCluster")))
        } else if type.hasSuffix("ConfigDump.DynamicListener") || type.hasSuffix("ConfigDump.StaticListener") {
            dump.listeners.append(listenerFrom(resourceFields))
        } else if type.hasSuffix("ConfigDump.DynamicRouteConfig") || type.hasSuffix("ConfigDump.StaticRouteConfig") {
            if let config = resourceFields["route_config"] {
                dump.routeConfigs.append(routeConfig(config, versionInfo: resourceFields["version_info"]?.string))
            }
        } else if type.hasSuffix("ConfigDump.DynamicSecret") || type.hasSuffix("ConfigDump.StaticSecret") {
            dump.secrets.append(secretFrom(resourceFields, warming: false))
        } else if type.hasSuffix("ConfigDump.DynamicEndpointConfig") || type.hasSuffix("ConfigDump.StaticEndpointConfig") {
            dump.endpointConfigs += 1
        } else if !understood, !Self.knownDumps.contains(where: type.hasSuffix) {
            dump.skippedTypes.append(type)
        }
    }

    /// Dumps meshtop knows, which Envoy writes bare when they hold nothing (a static Envoy's
    /// secrets, scoped routes nobody uses): nothing skipped there.
    static let knownDumps = ["BootstrapConfigDump", "ClustersConfigDump", "ListenersConfigDump", "ScopedRoutesConfigDump", "RoutesConfigDump",
                             "SecretsConfigDump", "EndpointsConfigDump"]

    static func inferredType(_ fields: [String: JSON]) -> String? {
        if fields["cluster"] != nil { return "ClustersConfigDump.DynamicCluster" }
        if fields["route_config"] != nil { return "RoutesConfigDump.DynamicRouteConfig" }
        if fields["secret"] != nil { return "SecretsConfigDump.DynamicSecret" }
        if fields["active_state"] != nil || fields["listener"] != nil { return "ListenersConfigDump.DynamicListener" }
        return nil
    }

    static func bootstrap(_ scanner: inout JSONScanner, into dump: inout ConfigDump) throws {
        try scanner.object { scanner, key in
            guard key == "node" else { return try scanner.skip() }
            let node = try scanner.value()
            dump.nodeID = node["id"]?.string
            dump.istioVersion = node["metadata"]?["ISTIO_VERSION"]?.string
        }
    }

    static func cluster(_ scanner: inout JSONScanner, dynamic: Bool) throws -> ConfigDump.Cluster {
        var fields: [String: JSON] = [:]
        try scanner.object { scanner, rawKey in
            let key = snake(rawKey)
            switch key {
            case "version_info", "error_state": fields[key] = try scanner.value()
            case "cluster":
                var name: String?, type: String?
                try scanner.object { scanner, field in
                    switch field {
                    case "name": name = try scanner.string()
                    case "type": type = try scanner.string()
                    default: try scanner.skip()
                    }
                }
                fields["cluster"] = .object(["name": name.map(JSON.string) ?? .null, "type": type.map(JSON.string) ?? .null])
            default: try scanner.skip()
            }
        }
        return clusterFrom(fields, dynamic: dynamic)
    }

    static func clusterFrom(_ fields: [String: JSON], dynamic: Bool) -> ConfigDump.Cluster {
        ConfigDump.Cluster(name: fields["cluster"]?["name"]?.string ?? "", type: fields["cluster"]?["type"]?.string,
                           versionInfo: fields["version_info"]?.string, error: fields["error_state"]?["details"]?.string,
                           dynamic: dynamic)
    }

    static func listener(_ scanner: inout JSONScanner) throws -> ConfigDump.Listener {
        var fields: [String: JSON] = [:]
        try scanner.object { scanner, rawKey in
            let key = snake(rawKey)
            switch key {
            case "name", "error_state": fields[key] = try scanner.value()
            case "listener": fields[key] = try listenerBody(&scanner)
            case "active_state", "warming_state":
                var state: JSON = .null
                try scanner.object { scanner, field in
                    if field == "listener" { state = try listenerBody(&scanner) } else { try scanner.skip() }
                }
                if fields["active_state"] == nil { fields["active_state"] = .object(["listener": state]) }
            default: try scanner.skip()
            }
        }
        return listenerFrom(fields)
    }

    /// Name and address of a Listener, skipping its (large) filter chains.
    static func listenerBody(_ scanner: inout JSONScanner) throws -> JSON {
        var members: [String: JSON] = [:]
        try scanner.object { scanner, key in
            switch key {
            case "name", "address": members[key] = try scanner.value()
            default: try scanner.skip()
            }
        }
        return .object(members)
    }

    static func listenerFrom(_ fields: [String: JSON]) -> ConfigDump.Listener {
        let body = fields["active_state"]?["listener"] ?? fields["listener"] ?? .null
        let socket = body["address"]?["socket_address"]
        return ConfigDump.Listener(name: fields["name"]?.string ?? body["name"]?.string ?? "", address: socket?["address"]?.string,
                                   port: socket?["port_value"]?.int, error: fields["error_state"]?["details"]?.string)
    }

    static func routeConfigWrapper(_ scanner: inout JSONScanner) throws -> ConfigDump.RouteConfig? {
        var fields: [String: JSON] = [:]
        try scanner.object { scanner, rawKey in
            let key = snake(rawKey)
            if key == "route_config" || key == "version_info" { fields[key] = try scanner.value() } else { try scanner.skip() }
        }
        return fields["route_config"].map { routeConfig($0, versionInfo: fields["version_info"]?.string) }
    }

    static func routeConfig(_ config: JSON, versionInfo: String?) -> ConfigDump.RouteConfig {
        let hosts = (config["virtual_hosts"]?.array ?? []).map { host in
            ConfigDump.VirtualHost(
                name: host["name"]?.string ?? "", domains: (host["domains"]?.array ?? []).compactMap(\.string),
                routes: (host["routes"]?.array ?? []).map(route))
        }
        return ConfigDump.RouteConfig(name: config["name"]?.string ?? "", versionInfo: versionInfo, virtualHosts: hosts)
    }

    static func route(_ route: JSON) -> ConfigDump.Route {
        let match = route["match"] ?? .null
        let matchText: String
        if let prefix = match["prefix"]?.string { matchText = "prefix \(prefix)" }
        else if let path = match["path"]?.string { matchText = "path \(path)" }
        else if let regex = match["safe_regex"]?["regex"]?.string ?? match["regex"]?.string { matchText = "regex \(regex)" }
        else { matchText = "any" }
        let action = route["route"] ?? .null
        var clusters: [ConfigDump.WeightedCluster] = []
        if let single = action["cluster"]?.string { clusters = [.init(name: single, weight: nil)] }
        for weighted in action["weighted_clusters"]?["clusters"]?.array ?? [] {
            clusters.append(.init(name: weighted["name"]?.string ?? "", weight: weighted["weight"]?.int))
        }
        return ConfigDump.Route(name: route["name"]?.string, match: matchText, clusters: clusters,
                                timeout: action["timeout"]?.string, retries: action["retry_policy"]?["num_retries"]?.int)
    }

    static func secret(_ scanner: inout JSONScanner, warming: Bool) throws -> ConfigDump.Secret {
        var fields: [String: JSON] = [:]
        try scanner.object { scanner, rawKey in fields[snake(rawKey)] = try scanner.value() }
        return secretFrom(fields, warming: warming)
    }

    static func secretFrom(_ fields: [String: JSON], warming: Bool) -> ConfigDump.Secret {
        let secret = fields["secret"] ?? .null
        let chain = secret["tls_certificate"]?["certificate_chain"]
        let trusted = secret["validation_context"]?["trusted_ca"]
        let source = chain ?? trusted
        var pem = source?["inline_string"]?.string
        if pem == nil, let base64 = source?["inline_bytes"]?.string, let data = Data(base64Encoded: base64) {
            pem = String(decoding: data, as: UTF8.self)
        }
        let warmingState = warming || fields["version_info"]?.string == "uninitialized"
        return ConfigDump.Secret(name: fields["name"]?.string ?? secret["name"]?.string ?? "", certificatePEM: pem,
                                 isTrustBundle: chain == nil && trusted != nil, warming: warmingState,
                                 versionInfo: fields["version_info"]?.string)
    }
}
