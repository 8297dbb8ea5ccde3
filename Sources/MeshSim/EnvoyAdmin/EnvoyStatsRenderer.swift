import Foundation

/// Renders a proxy's `/stats/prometheus` (text 0.0.4 as Envoy writes it: `# TYPE` only, Istio's
/// tag names, histograms with Envoy's default buckets) and the hierarchical `/stats` forms.
enum EnvoyStatsRenderer {

    /// The families whose values come from the context's derived tables (clusters, members,
    /// listeners). A filtered scrape that matches none of them is rendered without building the
    /// tables; a test renders each family both ways.
    static let familiesUsingTables = [
        "envoy_cluster_upstream_rq_total", "envoy_cluster_upstream_rq_completed", "envoy_cluster_upstream_rq",
        "envoy_cluster_upstream_cx_active", "envoy_cluster_membership_healthy", "envoy_cluster_membership_total",
        "envoy_cluster_upstream_rq_time", "envoy_cluster_manager_active_clusters", "envoy_listener_manager_total_listeners_active",
        "envoy_server_memory_allocated",
    ]

    /// Whether a scrape with this `?filter=` (nil: none) writes any family that needs the tables.
    static func needsTables(include: ((String) -> Bool)?) -> Bool {
        guard let include else { return true }
        return familiesUsingTables.contains(where: include)
    }

    /// `include` is Envoy's `?filter=`: a partial match against each stat's name, which for a
    /// histogram is its family name (its `_bucket`, `_sum` and `_count` lines come whole).
    static func prometheus(_ context: ProxyContext, include: ((String) -> Bool)? = nil) -> String {
        guard context.mesh.hasIstioStats else { return EnvoyDefaultTags.prometheus(hierarchical(context), include: include) }
        var out = PrometheusWriter(include: include)
        let traffic = context.traffic
        let codes = simResponseCodes
        func istioLabels(reporter: String, source: PeerLabels, destination: PeerLabels, code: Int) -> String {
            let policy = reporter == "destination" ? "mutual_tls" : "unknown"
            return "reporter=\"\(reporter)\",source_workload=\"\(source.workload)\",source_canonical_service=\"\(source.canonicalService)\",source_canonical_revision=\"\(source.canonicalRevision)\",source_workload_namespace=\"\(source.namespace)\",source_principal=\"\(source.principal)\",source_app=\"\(source.app)\",source_version=\"\(source.version)\",source_cluster=\"Kubernetes\",destination_workload=\"\(destination.workload)\",destination_workload_namespace=\"\(destination.namespace)\",destination_principal=\"\(destination.principal)\",destination_app=\"\(destination.app)\",destination_version=\"\(destination.version)\",destination_service=\"\(destination.service)\",destination_canonical_service=\"\(destination.canonicalService)\",destination_canonical_revision=\"\(destination.canonicalRevision)\",destination_service_name=\"\(destination.serviceName)\",destination_service_namespace=\"\(destination.serviceNamespace)\",destination_cluster=\"Kubernetes\",request_protocol=\"http\",response_code=\"\(code)\",grpc_response_status=\"\",response_flags=\"-\",connection_security_policy=\"\(policy)\""
        }
        var istioRows: [(String, CodeCounters)] = []
        for row in traffic.outboundByPeer {
            for (slot, code) in codes.enumerated() where row.counters.byCode[slot].count > 0 {
                istioRows.append((istioLabels(reporter: "source", source: row.local, destination: row.peer, code: code), row.counters.byCode[slot]))
            }
        }
        for row in traffic.inboundByPeer {
            for (slot, code) in codes.enumerated() where row.counters.byCode[slot].count > 0 {
                istioRows.append((istioLabels(reporter: "destination", source: row.peer, destination: row.local, code: code), row.counters.byCode[slot]))
            }
        }
        out.type("istio_requests_total", "counter")
        for (labels, counters) in istioRows { out.sample("istio_requests_total", labels, counters.count) }
        out.type("istio_request_duration_milliseconds", "histogram")
        for (labels, counters) in istioRows { out.histogram("istio_request_duration_milliseconds", labels, counters) }

        let clusters = context.clusterNames
        out.type("envoy_cluster_upstream_rq_total", "counter")
        for cluster in clusters { out.sample("envoy_cluster_upstream_rq_total", "cluster_name=\"\(cluster)\"", traffic.byCluster[cluster]?.total ?? 0) }
        out.type("envoy_cluster_upstream_rq_completed", "counter")
        for cluster in clusters { out.sample("envoy_cluster_upstream_rq_completed", "cluster_name=\"\(cluster)\"", traffic.byCluster[cluster]?.total ?? 0) }
        out.type("envoy_cluster_upstream_rq", "counter")
        for cluster in clusters {
            guard let counters = traffic.byCluster[cluster] else { continue }
            for (slot, code) in codes.enumerated() where counters.byCode[slot].count > 0 {
                out.sample("envoy_cluster_upstream_rq", "response_code=\"\(code)\",cluster_name=\"\(cluster)\"", counters.byCode[slot].count)
            }
            for (className, count) in classCounts(counters) where count > 0 {
                out.sample("envoy_cluster_upstream_rq", "response_code_class=\"\(className)\",cluster_name=\"\(cluster)\"", count)
            }
        }
        out.type("envoy_cluster_upstream_cx_active", "gauge")
        for cluster in clusters { out.sample("envoy_cluster_upstream_cx_active", "cluster_name=\"\(cluster)\"", (traffic.byCluster[cluster]?.total ?? 0) > 0 ? 1 : 0) }
        out.type("envoy_cluster_membership_healthy", "gauge")
        for cluster in clusters { out.sample("envoy_cluster_membership_healthy", "cluster_name=\"\(cluster)\"", context.healthyMembers[cluster] ?? 0) }
        out.type("envoy_cluster_membership_total", "gauge")
        for cluster in clusters { out.sample("envoy_cluster_membership_total", "cluster_name=\"\(cluster)\"", context.members[cluster] ?? 0) }

        out.type("envoy_http_downstream_rq_total", "counter")
        out.sample("envoy_http_downstream_rq_total", "http_conn_manager_prefix=\"\(context.inboundStatPrefix)\"", traffic.inboundTotal.total)
        out.type("envoy_http_downstream_rq_xx", "counter")
        for (className, count) in classCounts(traffic.inboundTotal) {
            out.sample("envoy_http_downstream_rq_xx", "response_code_class=\"\(className.prefix(1))\",http_conn_manager_prefix=\"\(context.inboundStatPrefix)\"", count)
        }

        out.type("envoy_cluster_upstream_rq_time", "histogram")
        for cluster in clusters {
            guard let counters = traffic.byCluster[cluster] else { continue }
            out.histogram("envoy_cluster_upstream_rq_time", "cluster_name=\"\(cluster)\"", counters.byCode.reduce(CodeCounters(), +))
        }
        out.type("envoy_http_downstream_rq_time", "histogram")
        out.histogram("envoy_http_downstream_rq_time", "http_conn_manager_prefix=\"\(context.inboundStatPrefix)\"",
                      traffic.inboundTotal.byCode.reduce(CodeCounters(), +))

        for (name, type, value) in context.serverStats {
            out.type(name, type)
            out.sample(name, "", value)
        }
        out.type("istio_build", "gauge")
        out.sample("istio_build", "component=\"proxy\",tag=\"\(context.istioVersion)\"", 1)
        return out.text
    }

    /// Totals by response class (`2xx`, `4xx`, `5xx`) in a fixed order.
    static func classCounts(_ counters: FlowCounters) -> [(String, Int)] {
        var classes: [String: Int] = [:]
        for (slot, code) in simResponseCodes.enumerated() { classes["\(code / 100)xx", default: 0] += counters.byCode[slot].count }
        return classes.keys.sorted().map { ($0, classes[$0]!) }
    }

    /// The hierarchical stats (`cluster.<name>;.upstream_rq_total`, …) used by `/stats` and
    /// `/stats?format=json` (histograms summarised as quantiles), and by a plain Envoy's
    /// `/stats/prometheus` through Envoy's default tag rules (`EnvoyDefaultTags`).
    static func hierarchical(_ context: ProxyContext) -> HierarchicalStats {
        var stats = HierarchicalStats()
        let traffic = context.traffic
        let mesh = context.mesh
        // Kuma and Consul sidecars talk mTLS to each other (Envoy Gateway's backends are plain):
        // their clusters count TLS handshakes. (Istio's mTLS shows in istio_requests_total.)
        let handshakes = mesh == .kuma || mesh == .consul
        for cluster in context.clusterNames {
            let counters = traffic.byCluster[cluster] ?? FlowCounters()
            let prefix = "cluster.\(mesh.statName(cluster))."
            stats.gauges.append((prefix + "membership_healthy", context.healthyMembers[cluster] ?? 0))
            stats.gauges.append((prefix + "membership_total", context.members[cluster] ?? 0))
            stats.gauges.append((prefix + "upstream_cx_active", counters.total > 0 ? 1 : 0))
            for (slot, code) in simResponseCodes.enumerated() where counters.byCode[slot].count > 0 {
                stats.counters.append((prefix + "upstream_rq_\(code)", counters.byCode[slot].count))
            }
            // Envoy creates a cluster's code and class counters at their first response.
            for (className, count) in classCounts(counters) where count > 0 { stats.counters.append((prefix + "upstream_rq_\(className)", count)) }
            stats.counters.append((prefix + "upstream_rq_completed", counters.total))
            stats.counters.append((prefix + "upstream_rq_total", counters.total))
            if handshakes, counters.total > 0, context.outboundClusters.contains(where: { $0.name == cluster }) {
                stats.counters.append((prefix + "ssl.handshake", counters.total / 500 + 1))
            }
            if counters.total > 0 { stats.histograms.append((prefix + "upstream_rq_time", counters.byCode.reduce(CodeCounters(), +))) }
        }
        let http = "http.\(mesh.statName(context.inboundStatPrefix))."
        // The connection manager's classes exist from the start, 1xx to 5xx.
        let inboundClasses = Dictionary(uniqueKeysWithValues: classCounts(traffic.inboundTotal))
        for digit in 1...5 { stats.counters.append((http + "downstream_rq_\(digit)xx", inboundClasses["\(digit)xx"] ?? 0)) }
        stats.counters.append((http + "downstream_rq_completed", traffic.inboundTotal.total))
        stats.counters.append((http + "downstream_rq_total", traffic.inboundTotal.total))
        stats.histograms.append((http + "downstream_rq_time", traffic.inboundTotal.byCode.reduce(CodeCounters(), +)))
        for (name, type, value) in context.serverStats {
            if type == "gauge" { stats.gauges.append((hierarchicalName(ofPrometheus: name), value)) }
            else { stats.counters.append((hierarchicalName(ofPrometheus: name), value)) }
        }
        stats.counters.sort { $0.0 < $1.0 }
        stats.gauges.sort { $0.0 < $1.0 }
        stats.histograms.sort { $0.0 < $1.0 }
        return stats
    }

    static func hierarchicalName(ofPrometheus name: String) -> String {
        let known = ["envoy_server_": "server.", "envoy_cluster_manager_cds_": "cluster_manager.cds.",
                     "envoy_cluster_manager_": "cluster_manager.", "envoy_listener_manager_": "listener_manager.",
                     "envoy_control_plane_": "control_plane."]
        for (prefix, replacement) in known.sorted(by: { $0.key.count > $1.key.count }) where name.hasPrefix(prefix) {
            return replacement + name.dropFirst(prefix.count)
        }
        return name
    }

    static let supportedQuantiles: [Double] = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100]

    /// `/stats?format=json`.
    static func json(_ context: ProxyContext) -> JSONValue {
        let all = hierarchical(context)
        let (counters, histograms) = (all.scalars, all.histograms)
        var stats: [JSONValue] = counters.map { obj(("name", .string($0.0)), ("value", .int($0.1))) }
        let computed: [JSONValue] = histograms.map { name, counters in
            obj(("name", .string(name)), ("values", .array(supportedQuantiles.map { quantile in
                let value = Quantiles.estimate(quantile / 100, counters)
                return obj(("interval", value.map(JSONValue.double) ?? .null), ("cumulative", value.map(JSONValue.double) ?? .null))
            })))
        }
        stats.append(obj(("histograms", obj(("supported_quantiles", .array(supportedQuantiles.map(JSONValue.double))),
                                            ("computed_quantiles", .array(computed))))))
        return obj(("stats", .array(stats)))
    }

    /// `/stats` plain text: `name: value`, histograms as `P0(i,c) … P100(i,c)`.
    static func text(_ context: ProxyContext) -> String {
        let all = hierarchical(context)
        let (counters, histograms) = (all.scalars, all.histograms)
        var lines = counters.map { "\($0.0): \($0.1)" }
        for (name, counters) in histograms {
            guard counters.count > 0 else { lines.append("\(name): No recorded values"); continue }
            let parts = supportedQuantiles.map { quantile -> String in
                let value = Quantiles.estimate(quantile / 100, counters).map { String(format: "%.6g", $0) } ?? "nan"
                return "P\(JSONWriter.format(quantile))(\(value),\(value))"
            }
            lines.append("\(name): " + parts.joined(separator: " "))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Quantile estimates from bucket counts, interpolating linearly inside a bucket.
enum Quantiles {
    static func estimate(_ quantile: Double, _ counters: CodeCounters) -> Double? {
        let total = counters.count
        guard total > 0 else { return nil }
        let rank = quantile * Double(total)
        var seen = 0.0
        for (index, count) in counters.buckets.enumerated() {
            let next = seen + Double(count)
            if next >= rank, count > 0 {
                let lower = index == 0 ? 0 : envoyBucketBoundsMs[index - 1]
                guard index < envoyBucketBoundsMs.count else { return lower }
                let upper = envoyBucketBoundsMs[index]
                return lower + (upper - lower) * ((rank - seen) / Double(count))
            }
            seen = next
        }
        return envoyBucketBoundsMs.last
    }
}
