import Foundation

/// Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), which
/// `kubectl get` asks for: the columns a real API server prints for each kind (Istio's CRD
/// printer columns for its objects), rows carrying the object's metadata.
enum KubeTable {
    struct Column {
        var name: String
        var type = "string"
        var format = ""
        var priority = 0
        var cell: (JSONValue, Date) -> JSONValue

        init(name: String, type: String = "string", format: String = "", priority: Int = 0, cell: @escaping (JSONValue, Date) -> JSONValue) {
            self.name = name
            self.type = type
            self.format = format
            self.priority = priority
            self.cell = cell
        }
    }

    static func table(_ resource: KubeResource, objects: [JSONValue], metadata: JSONValue, now: Date) -> JSONValue {
        let columns = columns(for: resource)
        let definitions: [JSONValue] = columns.map {
            obj(("name", .string($0.name)), ("type", .string($0.type)), ("format", .string($0.format)),
                ("description", .string($0.name)), ("priority", .int($0.priority)))
        }
        let rows: [JSONValue] = objects.map { object in
            obj(("cells", .array(columns.map { $0.cell(object, now) })),
                ("object", obj(("kind", "PartialObjectMetadata"), ("apiVersion", "meta.k8s.io/v1"), ("metadata", object["metadata"]))))
        }
        return obj(("kind", "Table"), ("apiVersion", "meta.k8s.io/v1"), ("metadata", metadata),
                   ("columnDefinitions", .array(definitions)), ("rows", .array(rows)))
    }

    static func wantsTable(accept: String?) -> Bool {
        guard let accept else { return false }
        return accept.split(separator: ",").first.map { $0.contains("as=Table") } ?? false
    }

    static func columns(for resource: KubeResource) -> [Column] {
        let nameColumn = Column(name: "Name", format: "name") { object, _ in object["metadata"]?["name"] ?? "" }
        let ageColumn = Column(name: "Age") { object, now in .string(Self.age(object["metadata"]?["creationTimestamp"]?.stringValue, now: now)) }
        switch resource.plural {
        case "pods":
            return [nameColumn,
                    Column(name: "Ready") { object, _ in .string(readyCount(object)) },
                    Column(name: "Status") { object, _ in object["status"]?["phase"] ?? "Unknown" },
                    Column(name: "Restarts", type: "string") { _, _ in "0" },
                    ageColumn,
                    Column(name: "IP", priority: 1) { object, _ in object["status"]?["podIP"] ?? "<none>" },
                    Column(name: "Node", priority: 1) { object, _ in object["spec"]?["nodeName"] ?? "<none>" }]
        case "namespaces":
            return [nameColumn, Column(name: "Status") { object, _ in object["status"]?["phase"] ?? "" }, ageColumn]
        case "services":
            return [nameColumn,
                    Column(name: "Type") { object, _ in object["spec"]?["type"] ?? "" },
                    Column(name: "Cluster-IP") { object, _ in object["spec"]?["clusterIP"] ?? "" },
                    Column(name: "External-IP") { _, _ in "<none>" },
                    Column(name: "Port(s)") { object, _ in
                        .string((object["spec"]?["ports"]?.arrayValue ?? []).map { port in
                            "\(port["port"].map { JSONWriter.string($0) } ?? "")/\(port["protocol"]?.stringValue ?? "TCP")"
                        }.joined(separator: ","))
                    },
                    ageColumn]
        case "endpointslices":
            return [nameColumn,
                    Column(name: "AddressType") { object, _ in object["addressType"] ?? "" },
                    Column(name: "Ports") { object, _ in
                        .string((object["ports"]?.arrayValue ?? []).compactMap { $0["port"].map { JSONWriter.string($0) } }.joined(separator: ","))
                    },
                    Column(name: "Endpoints") { object, _ in
                        let addresses = (object["endpoints"]?.arrayValue ?? []).flatMap { $0["addresses"]?.arrayValue ?? [] }.compactMap(\.stringValue)
                        return .string(addresses.isEmpty ? "<unset>" : addresses.prefix(3).joined(separator: ",") + (addresses.count > 3 ? " + \(addresses.count - 3) more..." : ""))
                    },
                    ageColumn]
        case "virtualservices":
            return [nameColumn,
                    Column(name: "Gateways") { object, _ in .string(list(object["spec"]?["gateways"])) },
                    Column(name: "Hosts") { object, _ in .string(list(object["spec"]?["hosts"])) },
                    ageColumn]
        case "destinationrules":
            return [nameColumn, Column(name: "Host") { object, _ in object["spec"]?["host"] ?? "" }, ageColumn]
        default:
            return [nameColumn, ageColumn]
        }
    }

    static func list(_ value: JSONValue?) -> String {
        let items = value?.arrayValue?.compactMap(\.stringValue) ?? []
        return items.isEmpty ? "" : "[\"" + items.joined(separator: "\",\"") + "\"]"
    }

    static func readyCount(_ pod: JSONValue) -> String {
        let statuses = (pod["status"]?["containerStatuses"]?.arrayValue ?? [])
            + (pod["status"]?["initContainerStatuses"]?.arrayValue ?? []) // native sidecars count, as kubectl counts them
        let ready = statuses.filter { $0["ready"] == .bool(true) }.count
        return "\(ready)/\(statuses.count)"
    }

    /// Kubernetes' `HumanDuration`: 45s, 5m12s, 47m, 5h3m, 26h, 4d2h, 120d, 3y20d.
    static func age(_ timestamp: String?, now: Date) -> String {
        guard let timestamp, let date = ISO8601DateFormatter().date(from: timestamp) else { return "<unknown>" }
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        let minutes = seconds / 60, hours = seconds / 3600, days = seconds / 86400
        switch seconds {
        case ..<120: return "\(seconds)s"
        case ..<600: return seconds % 60 == 0 ? "\(minutes)m" : "\(minutes)m\(seconds % 60)s"
        case ..<(3 * 3600): return "\(minutes)m"
        case ..<(8 * 3600): return minutes % 60 == 0 ? "\(hours)h" : "\(hours)h\(minutes % 60)m"
        case ..<(48 * 3600): return "\(hours)h"
        case ..<(8 * 86400): return hours % 24 == 0 ? "\(days)d" : "\(days)d\(hours % 24)h"
        case ..<(2 * 365 * 86400): return "\(days)d"
        default:
            let years = days / 365
            return days % 365 == 0 ? "\(years)y" : "\(years)y\(days % 365)d"
        }
    }
}
