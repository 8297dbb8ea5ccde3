import Foundation

/// `--hostile-names`: names that attack the terminal, as a compromised or careless workload
/// could publish them through stats labels, the service registry and route configuration.
/// Kubernetes validates object names, but route names, label values of other exporters,
/// error bodies and version strings are free text.
enum HostileText {
    /// Sets the window title, clears the screen, writes to the clipboard (OSC 52), turns text
    /// red with an 8-bit CSI, and reverses the rest of the line with a bidi override.
    static let escapes = "\u{1B}]0;owned\u{07}\u{1B}[2J\u{1B}]52;c;cm0gLXJmIH4=\u{07}\u{9B}31m\u{202E}"
    /// Backspaces over what came before, DEL, carriage return, vertical tab, form feed, bell.
    static let controls = "\u{08}\u{08}\u{7F}\r\u{0B}\u{0C}\u{07}"
    /// Over 300 characters, with an alternate-screen switch in the middle.
    static let overLong = String(repeating: "A", count: 160) + "\u{1B}[?1049h" + String(repeating: "B", count: 160)
}

extension SimTopology {
    /// Rewrites every other service's name, one service's versions and every route name with
    /// hostile text, keeping routing consistent (hosts, subsets, names that referred to them).
    /// Avoids `"`, `\` and newlines, which the exposition format escapes: the point here is the
    /// terminal, not the parsers (the fuzzers cover those).
    mutating func makeHostile() {
        var renamed: [String: String] = [:]
        for index in services.indices where !services[index].isGateway && index % 2 == 1 {
            let old = services[index].name
            services[index].name = old + HostileText.escapes
            renamed[old] = services[index].name
        }
        var newVersions: [Int: [String: String]] = [:]
        if let target = services.firstIndex(where: { !$0.isGateway && $0.workloads.count > 1 }) ?? services.firstIndex(where: { !$0.isGateway }) {
            for workload in services[target].workloads {
                let old = workloads[workload].version
                workloads[workload].version = old + HostileText.controls
                newVersions[target, default: [:]][old] = workloads[workload].version
            }
        }
        for index in edges.indices {
            guard let versions = newVersions[edges[index].source], let sources = edges[index].sourceVersions else { continue }
            edges[index].sourceVersions = Set(sources.map { versions[$0] ?? $0 })
        }
        for index in routing.virtualServices.indices {
            var service = routing.virtualServices[index]
            service.hosts = service.hosts.map { renamed[$0] ?? $0 }
            service.name = renamed[service.name] ?? service.name
            let versions = newVersions[service.service] ?? [:]
            for route in service.routes.indices {
                service.routes[route].name = (service.routes[route].name ?? "route-\(route)") + HostileText.overLong
                for destination in service.routes[route].destinations.indices {
                    if let subset = service.routes[route].destinations[destination].subset, let new = versions[subset] {
                        service.routes[route].destinations[destination].subset = new
                    }
                }
            }
            routing.virtualServices[index] = service
        }
        for index in routing.destinationRules.indices {
            let versions = newVersions[routing.destinationRules[index].service] ?? [:]
            routing.destinationRules[index].subsets = routing.destinationRules[index].subsets.map { versions[$0] ?? $0 }
            routing.destinationRules[index].name = renamed[routing.destinationRules[index].name] ?? routing.destinationRules[index].name
        }
    }
}
