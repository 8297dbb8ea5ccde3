import Foundation

/// The cluster's objects as a real Istio 1.28 install shows them, derived from the simulation:
/// a namespace per mesh namespace (labelled for injection), a Pod per present proxy — with
/// `istio-proxy` as a native sidecar (`initContainers`, `restartPolicy: Always`) for every other
/// workload and as a plain container for the rest and the gateways — the istiod pod, a Service
/// and an EndpointSlice per service, and the same Istio objects istiod's configz serves.
struct KubeObjects {
    let state: SimulatorState
    let resourceVersion: (String) -> Int

    static let istiodNamespace = "istio-system"
    static let revision = "default"

    var created: String { Timestamp.rfc3339(state.startedAt.addingTimeInterval(-86400)) }

    /// Every object of `resource`, sorted by namespace and name as the API server lists them.
    func list(_ resource: KubeResource) -> [JSONValue] {
        switch (resource.group, resource.plural) {
        case ("", "namespaces"): return namespaces()
        case ("", "pods"): return pods()
        case ("", "services"): return services()
        case ("discovery.k8s.io", "endpointslices"): return endpointSlices()
        default: return istioObjects(resource)
        }
    }

    func namespaces() -> [JSONValue] {
        var names = Set(state.topology.namespaces)
        names.formUnion([Self.istiodNamespace, "default", "kube-system"])
        return names.sorted().enumerated().map { offset, name in
            let labels: JSONValue
            switch name {
            case "kube-system", Self.istiodNamespace: labels = obj(("kubernetes.io/metadata.name", .string(name)))
            // Injection by revision label for every third namespace, the classic label elsewhere.
            default: labels = offset % 3 == 2
                ? obj(("istio.io/rev", .string(Self.revision)), ("kubernetes.io/metadata.name", .string(name)))
                : obj(("istio-injection", "enabled"), ("kubernetes.io/metadata.name", .string(name)))
            }
            return obj(("kind", "Namespace"), ("apiVersion", "v1"),
                       ("metadata", obj(("name", .string(name)), ("uid", .string(Self.uid("ns/\(name)"))),
                                        ("resourceVersion", .string(String(resourceVersion("ns/\(name)")))),
                                        ("creationTimestamp", .string(created)), ("labels", labels))),
                       ("spec", obj(("finalizers", ["kubernetes"]))), ("status", obj(("phase", "Active"))))
        }
    }

    func pods() -> [JSONValue] {
        var pods: [JSONValue] = [istiodPod()]
        for proxy in state.topology.proxies where state.proxies[proxy.index].present { pods.append(pod(proxy)) }
        return Self.sorted(pods)
    }

    func pod(_ proxy: SimProxy) -> JSONValue {
        let service = state.topology.services[proxy.service]
        let workload = state.topology.workloads[proxy.workload]
        let runtime = state.proxies[proxy.index]
        let replicaSet = String(proxy.podName[..<(proxy.podName.lastIndex(of: "-") ?? proxy.podName.endIndex)])
        let hash = String(replicaSet.split(separator: "-").last ?? "")
        let gateway = service.isGateway
        let native = !gateway && workload.index % 2 == 0
        let started = Timestamp.rfc3339(runtime.startedAt)
        let ready = runtime.serverState == "LIVE"
        var labels: [(String, JSONValue?)] = [("app", .string(service.name)), ("pod-template-hash", .string(hash))]
        if gateway {
            labels += [("istio", "ingressgateway"), ("service.istio.io/canonical-name", .string(service.name)),
                       ("service.istio.io/canonical-revision", "latest")]
        } else {
            labels += [("version", .string(workload.version)), ("security.istio.io/tlsMode", "istio"),
                       ("service.istio.io/canonical-name", .string(service.name)),
                       ("service.istio.io/canonical-revision", .string(workload.version))]
        }
        let sidecarStatus = #"{"initContainers":\#(native ? #"["istio-proxy"]"# : "null"),"containers":\#(native ? "null" : #"["istio-proxy"]"#),"volumes":["workload-socket","credential-socket","workload-certs","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert"],"imagePullSecrets":null,"revision":"default"}"#
        let annotations = obj(("istio.io/rev", .string(Self.revision)),
                              ("kubectl.kubernetes.io/default-container", .string(gateway ? "istio-proxy" : service.name)),
                              ("prometheus.io/path", "/stats/prometheus"), ("prometheus.io/port", "15020"), ("prometheus.io/scrape", "true"),
                              ("sidecar.istio.io/status", gateway ? nil : .string(sidecarStatus)))
        let proxyContainer = Self.istioProxyContainer(native: native, gateway: gateway, version: state.options.istioVersion)
        var containers: [JSONValue] = []
        if !gateway {
            containers.append(obj(("name", .string(service.name)), ("image", .string("docker.io/istio/examples-bookinfo-\(service.name)-\(workload.version):1.20.2")),
                                  ("ports", [obj(("containerPort", .int(service.port)), ("protocol", "TCP"))])))
        }
        if !native { containers.append(proxyContainer) }
        let spec = obj(("initContainers", native ? [proxyContainer] : nil), ("containers", .array(containers)),
                       ("nodeName", .string(Self.node(proxy.index))), ("serviceAccountName", .string(service.serviceAccount)),
                       ("restartPolicy", "Always"))
        let containerStatuses: [JSONValue] = containers.map { Self.containerStatus($0, ready: ready, started: started) }
        let status = obj(("phase", "Running"), ("hostIP", .string(Self.hostIP(proxy.index))), ("podIP", .string(proxy.podIP)),
                         ("podIPs", [obj(("ip", .string(proxy.podIP)))]), ("startTime", .string(started)),
                         ("conditions", [Self.condition("Initialized", true, started), Self.condition("Ready", ready, started),
                                         Self.condition("ContainersReady", ready, started), Self.condition("PodScheduled", true, started)]),
                         ("initContainerStatuses", native ? [Self.containerStatus(proxyContainer, ready: ready, started: started)] : nil),
                         ("containerStatuses", .array(containerStatuses)), ("qosClass", "Burstable"))
        let key = "pod/\(proxy.namespace)/\(proxy.podName)"
        let metadata = obj(("name", .string(proxy.podName)), ("generateName", .string(replicaSet + "-")),
                           ("namespace", .string(proxy.namespace)), ("uid", .string(Self.uid(key))),
                           ("resourceVersion", .string(String(resourceVersion(key)))), ("creationTimestamp", .string(started)),
                           ("labels", .object(labels.compactMap { key, value in value.map { (key, $0) } })), ("annotations", annotations),
                           ("ownerReferences", [obj(("apiVersion", "apps/v1"), ("kind", "ReplicaSet"), ("name", .string(replicaSet)),
                                                    ("uid", .string(Self.uid("rs/\(proxy.namespace)/\(replicaSet)"))),
                                                    ("controller", true), ("blockOwnerDeletion", true))]))
        return obj(("kind", "Pod"), ("apiVersion", "v1"), ("metadata", metadata), ("spec", spec), ("status", status))
    }

    /// The istiod pod's name, its IP in the simulated cluster and its ports.
    var istiodPodName: String { state.istiodName }
    static let istiodPodIP = "10.244.250.2"
    static let istiodPorts = [8080, 15010, 15012, 15014, 15017]

    func istiodPod() -> JSONValue {
        let started = Timestamp.rfc3339(state.startedAt.addingTimeInterval(-3 * 86400))
        let replicaSet = String(istiodPodName[..<(istiodPodName.lastIndex(of: "-") ?? istiodPodName.endIndex)])
        let key = "pod/\(Self.istiodNamespace)/\(istiodPodName)"
        let ports: [JSONValue] = Self.istiodPorts.map { obj(("containerPort", .int($0)), ("protocol", "TCP")) }
        let container = obj(("name", "discovery"), ("image", .string("docker.io/istio/pilot:\(state.options.istioVersion)")),
                            ("args", ["discovery", "--monitoringAddr=:15014", "--log_output_level=default:info", "--domain", "cluster.local"]),
                            ("ports", .array(ports)))
        return obj(("kind", "Pod"), ("apiVersion", "v1"),
                   ("metadata", obj(("name", .string(istiodPodName)), ("generateName", .string(replicaSet + "-")),
                                    ("namespace", .string(Self.istiodNamespace)), ("uid", .string(Self.uid(key))),
                                    ("resourceVersion", .string(String(resourceVersion(key)))), ("creationTimestamp", .string(started)),
                                    ("labels", obj(("app", "istiod"), ("istio", "pilot"), ("istio.io/rev", .string(Self.revision)),
                                                   ("pod-template-hash", .string(String(replicaSet.split(separator: "-").last ?? ""))))),
                                    ("ownerReferences", [obj(("apiVersion", "apps/v1"), ("kind", "ReplicaSet"), ("name", .string(replicaSet)),
                                                             ("uid", .string(Self.uid("rs/istiod"))), ("controller", true), ("blockOwnerDeletion", true))]))),
                   ("spec", obj(("containers", [container]), ("nodeName", .string(Self.node(0))), ("serviceAccountName", "istiod"))),
                   ("status", obj(("phase", "Running"), ("hostIP", .string(Self.hostIP(0))), ("podIP", .string(Self.istiodPodIP)),
                                  ("podIPs", [obj(("ip", .string(Self.istiodPodIP)))]), ("startTime", .string(started)),
                                  ("conditions", [Self.condition("Ready", true, started), Self.condition("ContainersReady", true, started)]),
                                  ("containerStatuses", [Self.containerStatus(container, ready: true, started: started)]))))
    }

    func services() -> [JSONValue] {
        var services = state.topology.services.map { service in
            let key = "svc/\(service.namespace)/\(service.name)"
            let selector = service.isGateway ? obj(("istio", "ingressgateway")) : obj(("app", .string(service.name)))
            return obj(("kind", "Service"), ("apiVersion", "v1"),
                       ("metadata", obj(("name", .string(service.name)), ("namespace", .string(service.namespace)),
                                        ("uid", .string(Self.uid(key))), ("resourceVersion", .string(String(resourceVersion(key)))),
                                        ("creationTimestamp", .string(created)), ("labels", obj(("app", .string(service.name)))))),
                       ("spec", obj(("type", service.isGateway ? "LoadBalancer" : "ClusterIP"), ("clusterIP", .string(service.vip)),
                                    ("clusterIPs", [.string(service.vip)]), ("selector", selector),
                                    ("ports", [obj(("name", "http"), ("port", .int(service.port)), ("protocol", "TCP"),
                                                   ("targetPort", .int(service.port)))]))),
                       ("status", obj(("loadBalancer", obj()))))
        }
        if state.options.kube?.prometheusURL != nil { services.append(prometheusService()) }
        return Self.sorted(services)
    }

    static let prometheusService = (namespace: "istio-system", name: "prometheus", port: 9090)

    /// Istio's Prometheus addon as its Service looks (samples/addons/prometheus.yaml).
    func prometheusService() -> JSONValue {
        let (namespace, name, port) = Self.prometheusService
        let key = "svc/\(namespace)/\(name)"
        return obj(("kind", "Service"), ("apiVersion", "v1"),
                   ("metadata", obj(("name", .string(name)), ("namespace", .string(namespace)), ("uid", .string(Self.uid(key))),
                                    ("resourceVersion", .string(String(resourceVersion(key)))), ("creationTimestamp", .string(created)),
                                    ("labels", obj(("app", "prometheus"), ("app.kubernetes.io/name", "prometheus"), ("app.kubernetes.io/component", "server"))))),
                   ("spec", obj(("type", "ClusterIP"), ("clusterIP", "10.96.0.90"), ("clusterIPs", ["10.96.0.90"]),
                                ("selector", obj(("app.kubernetes.io/name", "prometheus"))),
                                ("ports", [obj(("name", "http"), ("port", .int(port)), ("protocol", "TCP"), ("targetPort", .int(port)))]))),
                   ("status", obj(("loadBalancer", obj()))))
    }

    func endpointSlices() -> [JSONValue] {
        Self.sorted(state.topology.services.map { service in
            let name = "\(service.name)-\(Self.uid("eps/\(service.hostname)").prefix(5))"
            let endpoints: [JSONValue] = service.workloads.flatMap { state.topology.workloads[$0].proxies }
                .filter { state.proxies[$0].present }
                .map { index in
                    let proxy = state.topology.proxies[index]
                    return obj(("addresses", [.string(proxy.podIP)]),
                               ("conditions", obj(("ready", .bool(state.proxies[index].serverState == "LIVE")), ("serving", true), ("terminating", false))),
                               ("nodeName", .string(Self.node(index))),
                               ("targetRef", obj(("kind", "Pod"), ("namespace", .string(proxy.namespace)), ("name", .string(proxy.podName)),
                                                 ("uid", .string(Self.uid("pod/\(proxy.namespace)/\(proxy.podName)"))))))
                }
            let key = "eps/\(service.namespace)/\(name)"
            return obj(("kind", "EndpointSlice"), ("apiVersion", "discovery.k8s.io/v1"),
                       ("metadata", obj(("name", .string(name)), ("namespace", .string(service.namespace)), ("uid", .string(Self.uid(key))),
                                        ("resourceVersion", .string(String(resourceVersion("pods")))), ("creationTimestamp", .string(created)),
                                        ("labels", obj(("kubernetes.io/service-name", .string(service.name)),
                                                       ("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"))))),
                       ("addressType", "IPv4"), ("endpoints", .array(endpoints)),
                       ("ports", [obj(("name", "http"), ("port", .int(service.port)), ("protocol", "TCP"))]))
        })
    }

    /// The Istio and Gateway API objects: exactly the ones `/debug/configz` serves, by kind.
    func istioObjects(_ resource: KubeResource) -> [JSONValue] {
        guard case let .array(objects) = ConfigRenderer.configz(state) else { return [] }
        return Self.sorted(objects.filter { $0["kind"]?.stringValue == resource.kind && $0["apiVersion"]?.stringValue == resource.groupVersion })
    }

    // MARK: - Pieces

    static func istioProxyContainer(native: Bool, gateway: Bool, version: String) -> JSONValue {
        let ports: [JSONValue] = [obj(("containerPort", 15090), ("name", "http-envoy-prom"), ("protocol", "TCP"))]
            + (gateway ? [] : [obj(("containerPort", 15020), ("name", "http-status"), ("protocol", "TCP"))])
            + [obj(("containerPort", 15021), ("name", "status-port"), ("protocol", "TCP"))]
        return obj(("name", "istio-proxy"), ("image", .string("docker.io/istio/proxyv2:\(version)")),
                   ("args", .array((gateway ? ["proxy", "router"] : ["proxy", "sidecar"]).map(JSONValue.string)
                       + ["--domain", "$(POD_NAMESPACE).svc.cluster.local", "--proxyLogLevel=warning"])),
                   ("ports", .array(ports)), ("restartPolicy", native ? "Always" : nil),
                   ("readinessProbe", obj(("httpGet", obj(("path", "/healthz/ready"), ("port", 15021), ("scheme", "HTTP"))))))
    }

    /// A container's status with what clients require of it (the Python client refuses a
    /// status without `image` and `imageID`).
    static func containerStatus(_ container: JSONValue, ready: Bool, started: String) -> JSONValue {
        let name = container["name"]?.stringValue ?? ""
        let image = container["image"]?.stringValue ?? ""
        return obj(("name", .string(name)), ("image", .string(image)), ("imageID", .string(image + "@sha256:" + uid("image/\(image)").replacingOccurrences(of: "-", with: "") + "00000000000000000000000000000000")),
                   ("containerID", .string("containerd://" + uid("container/\(name)/\(started)").replacingOccurrences(of: "-", with: ""))),
                   ("ready", .bool(ready)), ("restartCount", 0), ("started", true),
                   ("state", obj(("running", obj(("startedAt", .string(started)))))), ("lastState", obj()))
    }

    static func condition(_ type: String, _ status: Bool, _ time: String) -> JSONValue {
        obj(("type", .string(type)), ("status", status ? "True" : "False"), ("lastTransitionTime", .string(time)))
    }

    static func node(_ index: Int) -> String { "sim-node-\(index % 8 + 1)" }
    static func hostIP(_ index: Int) -> String { "172.18.0.\(index % 8 + 2)" }

    /// A stable UUID-shaped id for an object key.
    static func uid(_ key: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let second = hash &* 0x9E37_79B9_7F4A_7C15
        let hex = String(format: "%016llx%016llx", hash, second)
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }

    static func sorted(_ objects: [JSONValue]) -> [JSONValue] {
        objects.sorted { (namespaceName($0)) < (namespaceName($1)) }
    }

    static func namespaceName(_ object: JSONValue) -> String {
        let metadata = object["metadata"]
        return "\(metadata?["namespace"]?.stringValue ?? "")/\(metadata?["name"]?.stringValue ?? "")"
    }
}
