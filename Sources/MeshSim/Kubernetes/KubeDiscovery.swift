/// Discovery documents: `/version`, `/api`, `/apis` and each group version's resource list, in
/// the legacy (non-aggregated) form every client falls back to.
enum KubeDiscovery {
    static let serverVersion = (major: "1", minor: "32", git: "v1.32.4")

    static func version() -> JSONValue {
        obj(("major", .string(serverVersion.major)), ("minor", .string(serverVersion.minor)),
            ("gitVersion", .string(serverVersion.git)), ("gitCommit", "59526cd4867447956156ae3a602fcbac5eac9f0e"),
            ("gitTreeState", "clean"), ("buildDate", "2025-04-22T16:02:27Z"), ("goVersion", "go1.23.6"),
            ("compiler", "gc"), ("platform", "linux/amd64"))
    }

    static func coreVersions(serverAddress: String) -> JSONValue {
        obj(("kind", "APIVersions"), ("versions", ["v1"]),
            ("serverAddressByClientCIDRs", [obj(("clientCIDR", "0.0.0.0/0"), ("serverAddress", .string(serverAddress)))]))
    }

    static func groupList() -> JSONValue {
        let groups: [JSONValue] = KubeResources.groups.map { group in
            let version = obj(("groupVersion", .string("\(group.name)/\(group.version)")), ("version", .string(group.version)))
            return obj(("name", .string(group.name)), ("versions", [version]), ("preferredVersion", version))
        }
        return obj(("kind", "APIGroupList"), ("apiVersion", "v1"), ("groups", .array(groups)))
    }

    static func group(_ name: String) -> JSONValue? {
        guard let group = KubeResources.groups.first(where: { $0.name == name }) else { return nil }
        let version = obj(("groupVersion", .string("\(group.name)/\(group.version)")), ("version", .string(group.version)))
        return obj(("kind", "APIGroup"), ("apiVersion", "v1"), ("name", .string(name)), ("versions", [version]), ("preferredVersion", version))
    }

    /// The `APIResourceList` of one group version, or nil when it is not served.
    static func resources(group: String, version: String) -> JSONValue? {
        let served = KubeResources.all.filter { $0.group == group && $0.version == version }
        guard !served.isEmpty else { return nil }
        var entries: [JSONValue] = []
        for resource in served {
            entries.append(obj(("name", .string(resource.plural)), ("singularName", .string(resource.singular)),
                               ("namespaced", .bool(resource.namespaced)), ("kind", .string(resource.kind)),
                               ("verbs", .array(resource.verbs.map(JSONValue.string))),
                               ("shortNames", resource.shortNames.isEmpty ? nil : .array(resource.shortNames.map(JSONValue.string)))))
            for sub in resource.subresources {
                entries.append(obj(("name", .string("\(resource.plural)/\(sub.name)")), ("singularName", ""),
                                   ("namespaced", .bool(resource.namespaced)), ("kind", .string(sub.kind)),
                                   ("verbs", .array(sub.verbs.map(JSONValue.string)))))
            }
        }
        let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
        return obj(("kind", "APIResourceList"), ("apiVersion", "v1"), ("groupVersion", .string(groupVersion)), ("resources", .array(entries)))
    }
}
