import Foundation

/// Linkerd's latency histogram bounds in milliseconds (`response_latency_ms`, mesh-apis.md §5).
let linkerdBucketBoundsMs: [Double] = [1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000,
                                       10000, 20000, 30000, 40000, 50000]

/// Renders a Linkerd proxy's `:4191/metrics` from the same flows the Envoy stats come from, with
/// Linkerd's families and labels: `request_total`, `response_total` (`status_code`,
/// `classification`), `response_latency_ms` on Linkerd's buckets, the identity certificate's
/// expiry, build info. Probes and scrapes of the admin port show up as inbound traffic on
/// `target_port="4191"`, as in a real pod.
enum LinkerdRenderer {
    static let trustDomain = "cluster.local"

    static func metrics(_ context: ProxyContext) -> String {
        var out = PrometheusWriter()
        let service = context.service
        let podIP = context.proxy.podIP
        let inboundBase = "target_addr=\"\(podIP):\(service.port)\",target_ip=\"\(podIP)\",target_port=\"\(service.port)\""
        var rows: [(labels: String, counters: FlowCounters)] = []
        for row in context.traffic.inboundByPeer {
            let tls = row.peer.mesh == .linkerd
                ? "tls=\"true\",client_id=\"\(identity(row.peer.serviceAccount, row.peer.namespace))\""
                : "tls=\"no_identity\",no_tls_reason=\"no_tls_from_remote\""
            rows.append(("direction=\"inbound\",\(inboundBase),\(tls),srv_group=\"policy.linkerd.io\",srv_kind=\"default\",srv_name=\"all-unauthenticated\",srv_port=\"\(service.port)\"",
                         row.counters))
        }
        for row in context.traffic.outboundByPeer {
            let peer = row.peer
            let tls = peer.mesh == .linkerd
                ? "tls=\"true\",server_id=\"\(identity(peer.serviceAccount, peer.namespace))\""
                : "tls=\"no_identity\",no_tls_reason=\"not_provided_by_service_discovery\""
            rows.append(("direction=\"outbound\",authority=\"\(peer.service):\(peer.port)\",\(tls),dst_control_plane_ns=\"linkerd\",dst_deployment=\"\(peer.workload)\",dst_namespace=\"\(peer.namespace)\",dst_service=\"\(peer.serviceName)\",dst_serviceaccount=\"\(peer.serviceAccount)\"",
                         row.counters))
        }
        out.type("request_total", "counter")
        let probes = context.uptimeSeconds / 10
        out.sample("request_total", "direction=\"inbound\",target_addr=\"0.0.0.0:4191\",target_ip=\"0.0.0.0\",target_port=\"4191\",tls=\"no_identity\",no_tls_reason=\"no_tls_from_remote\",srv_group=\"\",srv_kind=\"default\",srv_name=\"all-unauthenticated\",srv_port=\"4191\"", probes)
        for row in rows { out.sample("request_total", row.labels, row.counters.total) }
        out.type("response_total", "counter")
        out.sample("response_total", "direction=\"inbound\",target_addr=\"0.0.0.0:4191\",target_ip=\"0.0.0.0\",target_port=\"4191\",tls=\"no_identity\",no_tls_reason=\"no_tls_from_remote\",srv_group=\"\",srv_kind=\"default\",srv_name=\"all-unauthenticated\",srv_port=\"4191\",status_code=\"200\",classification=\"success\",grpc_status=\"\",error=\"\"", probes)
        for row in rows {
            for (slot, code) in simResponseCodes.enumerated() where row.counters.byCode[slot].count > 0 {
                out.sample("response_total", row.labels + codeLabels(code), row.counters.byCode[slot].count)
            }
        }
        out.type("response_latency_ms", "histogram")
        for row in rows {
            for (slot, code) in simResponseCodes.enumerated() where row.counters.byCode[slot].count > 0 {
                histogram(&out, labels: row.labels + ",status_code=\"\(code)\"", row.counters.byCode[slot])
            }
        }
        out.type("identity_cert_expiration_timestamp_seconds", "gauge")
        let expiry = context.runtime.leaf?.notAfter.timeIntervalSince1970 ?? 0
        out.sample("identity_cert_expiration_timestamp_seconds", "", Int(expiry))
        out.type("identity_cert_refresh_count", "counter")
        out.sample("identity_cert_refresh_count", "", max(1, context.uptimeSeconds / 43_200))
        out.type("proxy_build_info", "gauge")
        out.sample("proxy_build_info", "version=\"\(context.linkerdVersion)\",git_sha=\"4c9bd7b\",profile=\"release\",vendor=\"linkerd\"", 1)
        out.type("process_start_time_seconds", "gauge")
        out.sample("process_start_time_seconds", "", Int(context.runtime.startedAt.timeIntervalSince1970))
        return out.text.replacingOccurrences(of: "{}", with: "")
    }

    static func identity(_ serviceAccount: String, _ namespace: String) -> String {
        "\(serviceAccount).\(namespace).serviceaccount.identity.linkerd.\(trustDomain)"
    }

    static func codeLabels(_ code: Int) -> String {
        ",status_code=\"\(code)\",classification=\"\(code >= 500 ? "failure" : "success")\",grpc_status=\"\",error=\"\""
    }

    /// One histogram on Linkerd's bounds: counts re-bucketed from the model's Envoy buckets,
    /// spread uniformly inside each (the traffic model's own assumption).
    static func histogram(_ out: inout PrometheusWriter, labels: String, _ counters: CodeCounters) {
        for bound in linkerdBucketBoundsMs {
            out.text += "response_latency_ms_bucket{\(labels),le=\"\(PrometheusWriter.float(bound))\"} \(cumulative(counters, at: bound))\n"
        }
        out.text += "response_latency_ms_bucket{\(labels),le=\"+Inf\"} \(counters.count)\n"
        out.text += "response_latency_ms_sum{\(labels)} \(PrometheusWriter.float(counters.sumMs.rounded()))\n"
        out.text += "response_latency_ms_count{\(labels)} \(counters.count)\n"
    }

    static func cumulative(_ counters: CodeCounters, at bound: Double) -> Int {
        var total = 0.0
        for (index, count) in counters.buckets.enumerated() where count > 0 {
            let (lower, upper) = LatencyModel.bounds(bucket: index)
            if upper <= bound {
                total += Double(count)
            } else if lower < bound {
                total += Double(count) * (bound - lower) / (upper - lower)
            }
        }
        return Int(total)
    }
}
