import Foundation

/// A Prometheus in the cluster, for a session that may read neither Envoy's admin API nor its
/// stats (the prometheus-only tier) and was given no `--prometheus`: a Service labelled as
/// Istio's addon, the Prometheus chart or the operator label theirs, reached through the API
/// server's service proxy (`get services/proxy`). What stands in the way is said in words.
enum KubePrometheus {
    enum Outcome: Sendable, Equatable {
        case found(MeshEndpoint)
        /// Why none can be used, as the access's missing line.
        case unusable(String)
    }

    /// Label selectors tried in order: Istio's addon and the Prometheus chart, the chart's
    /// older label, the operator's governing Service.
    static let selectors = ["app.kubernetes.io/name=prometheus", "app=prometheus", "operated-prometheus=true"]
    static let ports = ["http", "web", "http-web"]

    static func find(client: MeshClient, probe: KubeAccessProbe) async -> Outcome {
        var found: (namespace: String, name: String, port: Int)?
        for selector in selectors where found == nil {
            let path = "/api/v1/services?labelSelector=" + QueryText.encode(selector)
            let response: MeshResponse
            do { response = try await client.send(MeshRequest(.GET, .kubernetesAPI, path, source: "kubernetes", accept: "application/json")) } catch {
                return .unusable("no Prometheus found: cannot list services (\(error.reason)) — give --prometheus URL")
            }
            guard let list = try? JSONDecoder().decode(ServiceList.self, from: Data(response.body)) else { continue }
            // Istio's own first, then by namespace and name.
            let services = (list.items ?? []).sorted { a, b in
                let rank = { (service: ServiceList.Service) in service.namespace == KubeInventory.istiodNamespace ? 0 : 1 }
                return (rank(a), a.namespace, a.name) < (rank(b), b.namespace, b.name)
            }
            found = services.lazy.compactMap { service in service.port.map { (service.namespace, service.name, $0) } }.first
        }
        guard let found else {
            return .unusable("no Prometheus found in the cluster (no Service labelled \(selectors.joined(separator: ", "))) — give --prometheus URL")
        }
        let question = KubeAccessProbe.Question(verb: "get", resource: "services", subresource: "proxy", namespace: found.namespace, name: found.name)
        guard (try? await probe.allowed(question)) == true else {
            return .unusable("a Prometheus is at \(found.namespace)/\(found.name):\(found.port), but no \(question.words) — give --prometheus URL "
                             + "(after `kubectl port-forward -n \(found.namespace) svc/\(found.name) \(found.port)`)")
        }
        return .found(.serviceProxy(namespace: found.namespace, service: found.name, port: found.port))
    }

    struct ServiceList: Decodable {
        struct Service: Decodable {
            struct Metadata: Decodable { var name: String?; var namespace: String? }
            struct Spec: Decodable { var ports: [Port]? }
            struct Port: Decodable { var name: String?; var port: Int? }
            var metadata: Metadata?
            var spec: Spec?

            var name: String { metadata?.name ?? "" }
            var namespace: String { metadata?.namespace ?? "" }
            /// The web port: named as the charts name it, else 9090, else the first.
            var port: Int? {
                let ports = spec?.ports ?? []
                return (ports.first { KubePrometheus.ports.contains($0.name ?? "") } ?? ports.first { $0.port == 9090 } ?? ports.first)?.port
            }
        }
        var items: [Service]?
    }
}
