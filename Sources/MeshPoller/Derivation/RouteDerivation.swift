import Foundation
import MeshModel
import MeshSources

/// VirtualServices and DestinationRules from configz, as Routes-view rows, with validation.
public enum RouteDerivation {
    /// Resolves a VirtualService/DestinationRule host (`reviews`, `reviews.default`, FQDN) in `namespace`.
    static func fqdn(_ host: String, namespace: String) -> String { RouteRule.fqdn(host, namespace: namespace) }

    public static func derive(configs: [ConfigObject], registry: [RegistryService]) -> (routes: [RouteRule], policies: [DestinationPolicy], findings: [Finding]) {
        let knownHosts = Set(registry.map(\.hostname))
        var policies: [DestinationPolicy] = []
        for rule in configs where rule.kind == "DestinationRule" {
            let host = fqdn(rule.spec["host"]?.string ?? "", namespace: rule.namespace)
            let subsets = (rule.spec["subsets"]?.array ?? []).map { subset in
                Subset(name: subset["name"]?.string ?? "", labels: (subset["labels"]?.members ?? [:]).compactMapValues(\.string))
            }
            policies.append(DestinationPolicy(
                name: rule.name, namespace: rule.namespace, host: host, subsets: subsets,
                loadBalancer: rule.spec["trafficPolicy"]?["loadBalancer"]?["simple"]?.string,
                tlsMode: rule.spec["trafficPolicy"]?["tls"]?["mode"]?.string))
        }
        var findings: [Finding] = []
        var routes: [RouteRule] = []
        var hostOwners: [String: [String]] = [:]
        for service in configs where service.kind == "VirtualService" {
            let subject = "VirtualService \(service.namespace)/\(service.name)"
            let hosts = (service.spec["hosts"]?.array ?? []).compactMap(\.string)
            let gateways = (service.spec["gateways"]?.array ?? []).compactMap(\.string)
            if gateways.isEmpty || gateways.contains("mesh") {
                for host in hosts { hostOwners[fqdn(host, namespace: service.namespace), default: []].append("\(service.namespace)/\(service.name)") }
            }
            for (index, http) in (service.spec["http"]?.array ?? []).enumerated() {
                var ruleFindings: [Finding] = []
                let destinations = (http["route"]?.array ?? []).map { route in
                    WeightedDestination(host: route["destination"]?["host"]?.string ?? "",
                                        subset: route["destination"]?["subset"]?.string,
                                        port: route["destination"]?["port"]?["number"]?.int, weight: route["weight"]?.int)
                }
                let weights = destinations.compactMap(\.weight)
                if destinations.count > 1 || !weights.isEmpty {
                    let total = destinations.reduce(0) { $0 + ($1.weight ?? 0) }
                    if total != 100, !(destinations.count == 1 && weights.isEmpty) {
                        ruleFindings.append(Finding(code: "ROUTE_WEIGHTS_NOT_100", severity: .warning, subject: subject,
                                                    message: "route \(index): weights sum to \(total), not 100"))
                    }
                }
                for destination in destinations {
                    let host = fqdn(destination.host, namespace: service.namespace)
                    if !knownHosts.isEmpty, !host.contains("*"), !knownHosts.contains(host) {
                        ruleFindings.append(Finding(code: "ROUTE_HOST_UNKNOWN", severity: .warning, subject: subject,
                                                    message: "route \(index): host \(destination.host) is not in the service registry"))
                    }
                    if let subset = destination.subset {
                        let defined = policies.contains { $0.host == host && $0.subsets.contains { $0.name == subset } }
                        if !defined {
                            ruleFindings.append(Finding(code: "ROUTE_SUBSET_UNDEFINED", severity: .critical, subject: subject,
                                                        message: "route \(index): subset \(subset) of \(destination.host) is not defined by any DestinationRule"))
                        }
                    }
                }
                findings += ruleFindings
                routes.append(RouteRule(
                    virtualService: service.name, namespace: service.namespace, hosts: hosts, index: index,
                    name: http["name"]?.string, matches: matchTexts(http["match"]), destinations: destinations,
                    timeout: http["timeout"]?.string,
                    retries: http["retries"].map { RetryPolicy(attempts: $0["attempts"]?.int ?? 0, perTryTimeout: $0["perTryTimeout"]?.string, retryOn: $0["retryOn"]?.string) },
                    fault: http["fault"].map { fault in
                        FaultInjection(delayPercent: fault["delay"]?["percentage"]?["value"]?.number, fixedDelay: fault["delay"]?["fixedDelay"]?.string,
                                       abortPercent: fault["abort"]?["percentage"]?["value"]?.number, abortStatus: fault["abort"]?["httpStatus"]?.int)
                    },
                    mirror: http["mirror"]?["host"]?.string, findings: ruleFindings))
            }
        }
        for (host, owners) in hostOwners where owners.count > 1 {
            findings.append(Finding(code: "VS_DUPLICATE_HOST", severity: .warning, subject: "host \(host)",
                                    message: "routed by several VirtualServices: \(owners.sorted().joined(separator: ", "))"))
        }
        return (routes, policies, findings)
    }

    /// `uri prefix /api`, `header end-user exact jason`, `method GET`.
    static func matchTexts(_ matches: JSON?) -> [String] {
        (matches?.array ?? []).map { match in
            var parts: [String] = []
            for field in ["uri", "authority", "method", "scheme"] {
                if let condition = match[field]?.members.first { parts.append("\(field) \(condition.key) \(condition.value.string ?? "")") }
            }
            for (header, condition) in match["headers"]?.members ?? [:] {
                if let first = condition.members.first { parts.append("header \(header) \(first.key) \(first.value.string ?? "")") }
            }
            if let port = match["port"]?.int { parts.append("port \(port)") }
            return parts.isEmpty ? "any" : parts.joined(separator: ", ")
        }
    }
}
