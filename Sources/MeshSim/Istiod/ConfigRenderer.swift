import Foundation

/// Renders Istio config objects in CRD form for `/debug/configz` (spec in lowerCamelCase).
enum ConfigRenderer {
    static func configz(_ state: SimulatorState) -> JSONValue {
        let routing = state.currentRouting
        let created = Timestamp.rfc3339(state.startedAt.addingTimeInterval(-86400))
        var objects: [JSONValue] = []
        for gateway in routing.gateways {
            objects.append(object(kind: "Gateway", name: gateway, namespace: "default", resourceVersion: 1001, created: created,
                                  spec: obj(("selector", obj(("istio", "ingressgateway"))),
                                            ("servers", [obj(("port", obj(("number", 8080), ("name", "http"), ("protocol", "HTTP"))),
                                                             ("hosts", ["*"]))]))))
        }
        for virtualService in routing.virtualServices {
            objects.append(object(kind: "VirtualService", name: virtualService.name, namespace: virtualService.namespace,
                                  resourceVersion: virtualService.resourceVersion, created: created,
                                  spec: virtualServiceSpec(virtualService, topology: state.topology)))
        }
        for rule in routing.destinationRules {
            let service = state.topology.services[rule.service]
            objects.append(object(kind: "DestinationRule", name: rule.name, namespace: rule.namespace,
                                  resourceVersion: rule.resourceVersion, created: created,
                                  spec: obj(("host", .string(service.hostname)),
                                            ("trafficPolicy", rule.loadBalancer.map { obj(("loadBalancer", obj(("simple", .string($0))))) }),
                                            ("subsets", .array(rule.subsets.map { obj(("name", .string($0)), ("labels", obj(("version", .string($0))))) })))))
        }
        for (namespace, scope) in state.topology.sidecarScopes.sorted(by: { $0.key < $1.key }) {
            let foreign = scope.map { state.topology.services[$0] }.filter { $0.namespace != namespace && $0.namespace != "istio-system" }
            let hosts = ["./*", "istio-system/*"].map(JSONValue.string)
                + foreign.map(\.hostname).sorted().map { JSONValue.string("*/\($0)") }
            objects.append(object(kind: "Sidecar", name: "default", namespace: namespace, resourceVersion: 3000,
                                  created: created, spec: obj(("egress", [obj(("hosts", .array(hosts)))]))))
        }
        objects.append(object(kind: "PeerAuthentication", name: "default", namespace: "istio-system", resourceVersion: 900,
                              created: created, spec: obj(("mtls", obj(("mode", "STRICT"))))))
        return .array(objects)
    }

    static func object(kind: String, name: String, namespace: String, resourceVersion: Int, created: String,
                       spec: JSONValue) -> JSONValue {
        let group = kind == "PeerAuthentication" ? "security.istio.io/v1" : "networking.istio.io/v1"
        return obj(("kind", .string(kind)), ("apiVersion", .string(group)),
                   ("metadata", obj(("name", .string(name)), ("namespace", .string(namespace)),
                                    ("resourceVersion", .string(String(resourceVersion))),
                                    ("creationTimestamp", .string(created)))),
                   ("spec", spec))
    }

    static func virtualServiceSpec(_ virtualService: SimVirtualService, topology: SimTopology) -> JSONValue {
        let service = topology.services[virtualService.service]
        let http: [JSONValue] = virtualService.routes.map { route in
            let matches: JSONValue? = route.uriMatches.isEmpty ? nil
                : .array(route.uriMatches.map { obj(("uri", obj(($0.0, .string($0.1))))) })
            let single = route.destinations.count == 1
            let destinations: [JSONValue] = route.destinations.map { destination in
                obj(("destination", obj(("host", .string(virtualService.gateways.isEmpty ? service.name : service.name)),
                                        ("subset", destination.subset.map(JSONValue.string)),
                                        ("port", virtualService.gateways.isEmpty ? nil : obj(("number", .int(service.port)))))),
                    ("weight", single ? nil : .int(destination.weight)))
            }
            return obj(("name", route.name.map(JSONValue.string)), ("match", matches), ("route", .array(destinations)),
                       ("timeout", route.timeout.map(JSONValue.string)),
                       ("retries", route.retryAttempts.map { obj(("attempts", .int($0)), ("perTryTimeout", route.perTryTimeout.map(JSONValue.string))) }))
        }
        return obj(("hosts", .array(virtualService.hosts.map(JSONValue.string))),
                   ("gateways", virtualService.gateways.isEmpty ? nil : .array(virtualService.gateways.map(JSONValue.string))),
                   ("http", .array(http)))
    }
}
