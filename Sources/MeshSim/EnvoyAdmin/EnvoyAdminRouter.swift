import Foundation

/// Answers one Envoy admin request for one proxy (mesh-apis.md §2).
enum EnvoyAdminRouter {
    static let mutatingPaths: Set = ["/logging", "/healthcheck/fail", "/healthcheck/ok", "/reset_counters", "/runtime_modify",
                                     "/drain_listeners", "/quitquitquit", "/cpuprofiler", "/heapprofiler", "/tap"]
    static let readPaths = ["/server_info", "/stats", "/stats/prometheus", "/clusters", "/certs", "/config_dump", "/listeners", "/ready"]

    static var help: String {
        "admin commands are:\n" + (readPaths + mutatingPaths.sorted()).map { "  \($0): see Envoy documentation" }.joined(separator: "\n") + "\n"
    }

    static func respond(_ request: SimRequest, proxy index: Int, simulator: MeshSimulator) -> SimResponse {
        let path = request.path
        if mutatingPaths.contains(path) {
            guard request.method == "POST" else {
                return .text(400, "Method \(request.method) not allowed, POST required.\n")
            }
            return simulator.mutate { state -> SimResponse in
                let result: ActionResult
                switch path {
                case "/logging": result = state.setLogging(proxy: index, query: request.queryItems)
                case "/healthcheck/fail": result = state.setHealthCheck(proxy: index, failed: true)
                case "/healthcheck/ok": result = state.setHealthCheck(proxy: index, failed: false)
                case "/reset_counters": result = state.resetCounters(proxy: index)
                default: result = ActionResult(status: 501, body: "\(path) is not simulated\n")
                }
                return .text(result.status, result.body)
            }
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .text(405, "Method \(request.method) not allowed for \(path).\n")
        }
        guard readPaths.contains(path) else { return .text(404, help) }
        let query = request.query
        // Stats filtered to Istio's request metrics and `/ready` (every poll, every proxy), and
        // `/server_info` and the secrets (every `certsRefresh`) do not need the cluster, member
        // and listener tables; building them walks every visible service, so a 5,000-proxy poll
        // cost O(proxies × services) (measured: 15 % of the simulator's CPU, growing with the mesh).
        let statsFilter = path == "/stats/prometheus" ? query["filter"].flatMap { $0.isEmpty ? nil : $0 } : nil
        let regex = statsFilter.flatMap { try? NSRegularExpression(pattern: $0) }
        let matches = regex.map { regex in { (family: String) in regex.firstMatch(in: family, range: NSRange(family.startIndex..., in: family)) != nil } }
        let secretsOnly = path == "/config_dump" && query["resource"].map(ConfigDumpRenderer.secretResources.contains) == true
        // A plain Envoy's filter matches hierarchical names, which only the tables give.
        let plainStats = !simulator.mesh(ofProxy: index).hasIstioStats
        let needsTables = !["/ready", "/server_info"].contains(path) && !secretsOnly
            && (plainStats || EnvoyStatsRenderer.needsTables(include: matches))
        let context = simulator.context(forProxy: index, tables: needsTables)
        switch path {
        case "/server_info": return .json(EnvoyAdminRenderer.serverInfo(context), pretty: true)
        case "/ready":
            let state = context.runtime.serverState
            return .text(state == "LIVE" ? 200 : 503, state + "\n")
        case "/stats/prometheus":
            var text: String
            if statsFilter != nil {
                guard let matches else { return .text(400, "Invalid re2 regex\n") }
                text = EnvoyStatsRenderer.prometheus(context, include: matches)
            } else {
                text = EnvoyStatsRenderer.prometheus(context)
            }
            return SimResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=UTF-8", body: Array(text.utf8))
        case "/stats":
            switch query["format"] {
            case "json": return .json(EnvoyStatsRenderer.json(context), pretty: true)
            case "prometheus":
                return SimResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=UTF-8",
                                   body: Array(EnvoyStatsRenderer.prometheus(context).utf8))
            default: return .text(200, EnvoyStatsRenderer.text(context))
            }
        case "/clusters":
            guard query["format"] == "json" else { return .text(200, ClustersText.render(context)) }
            return .json(EnvoyAdminRenderer.clusters(context), pretty: true)
        case "/certs": return .json(EnvoyAdminRenderer.certs(context), pretty: true)
        case "/listeners":
            guard query["format"] == "json" else {
                return .text(200, context.listenerNames.map { "\($0.name)::\($0.address):\($0.port)" }.joined(separator: "\n") + "\n")
            }
            return .json(EnvoyAdminRenderer.listeners(context), pretty: true)
        case "/config_dump":
            do {
                return .json(try ConfigDumpRenderer.render(context, query: query), pretty: true)
            } catch ConfigDumpRenderer.Failure.badRequest(let text) {
                return .text(400, text + "\n")
            } catch ConfigDumpRenderer.Failure.notFound(let text) {
                return .text(404, text + "\n")
            } catch {
                return .text(500, "\(error)\n")
            }
        default:
            return .text(404, help)
        }
    }
}

/// The text form of `/clusters` (`cluster::host::stat::value` lines).
enum ClustersText {
    static func render(_ context: ProxyContext) -> String {
        // Envoy 1.40 starts straight with the clusters (older releases led with `version_info::`).
        var lines: [String] = []
        for cluster in context.outboundClusters {
            let name = cluster.name
            lines.append("\(name)::observability_name::\(context.mesh.statName(name))")
            for priority in ["default_priority", "high_priority"] {
                for stat in ["max_connections", "max_pending_requests", "max_requests"] {
                    lines.append("\(name)::\(priority)::\(stat)::\(priority == "default_priority" ? 4_294_967_295 : 1024)")
                }
                lines.append("\(name)::\(priority)::max_retries::\(priority == "default_priority" ? 4_294_967_295 : 3)")
            }
            lines.append("\(name)::added_via_api::true")
            lines.append("\(name)::eds_service_name::\(name)")
            for pod in context.endpoints(of: cluster.service, subset: cluster.subset) {
                let host = "\(name)::\(pod.podIP):\(cluster.service.port)"
                let counters = context.traffic.byClusterHost[name]?[pod.index] ?? FlowCounters()
                let errors = counters.byCode[2].count + counters.byCode[3].count
                lines += ["\(host)::cx_active::\(counters.total > 0 ? 1 : 0)", "\(host)::cx_connect_fail::0",
                          "\(host)::cx_total::\(counters.total == 0 ? 0 : counters.total / 500 + 1)", "\(host)::rq_active::0",
                          "\(host)::rq_error::\(errors)", "\(host)::rq_pending_active::0", "\(host)::rq_success::\(counters.total - errors)",
                          "\(host)::rq_timeout::0", "\(host)::rq_total::\(counters.total)", "\(host)::hostname::",
                          "\(host)::health_flags::\(context.serving[pod.index] ? "healthy" : "/failed_eds_health")",
                          "\(host)::weight::1", "\(host)::region::region1", "\(host)::zone::zone1", "\(host)::sub_zone::",
                          "\(host)::canary::false", "\(host)::priority::0", "\(host)::success_rate::-1",
                          "\(host)::local_origin_success_rate::-1"]
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
