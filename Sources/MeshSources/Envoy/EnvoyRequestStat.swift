/// One of Envoy's own request statistics, named as Envoy names it before tag extraction
/// (`cluster.<name>.upstream_rq_503`, `http.<prefix>.downstream_rq_2xx`), recovered from a
/// `/stats/prometheus` sample.
///
/// Envoy's default tag rules cut a cluster name or HTTP prefix at its first dot and fold the
/// rest into the metric name (mesh-apis.md §2.9):
/// `cluster.outbound|9080|v1|reviews.default.svc.cluster.local.upstream_rq_total` is exported as
/// `envoy_cluster_default_svc_cluster_local_upstream_rq_total{envoy_cluster_name="outbound|9080|v1|reviews"}`.
/// The rest comes back by taking the known statistic off the end of the metric name: what is
/// left is the name's tail, its dots turned to underscores (Kubernetes names have none, so an
/// Istio, Consul or Kuma cluster name comes back whole).
public struct EnvoyRequestStat: Sendable, Equatable {
    public enum Scope: Sendable, Equatable {
        case cluster(String)
        /// An HTTP connection manager's stat prefix (`inbound_0.0.0.0_9080`; its first dot on,
        /// underscores stand for dots).
        case http(String)

        /// A recovered cluster name replaced by the known name it was blurred from (`nameResolver`).
        func resolved(_ known: [String: String]) -> Scope {
            guard case let .cluster(name) = self, !known.isEmpty, name.contains("."), let exact = known[EnvoyRequestStat.blurred(name)] else { return self }
            return .cluster(exact)
        }
    }

    public enum Stat: Sendable, Equatable {
        /// Completed requests (`upstream_rq_completed`, `downstream_rq_completed`).
        case completed
        /// Final responses with this code (`upstream_rq_503`; retried attempts are not counted).
        case code(String)
        /// Final responses of a class, `2` for 2xx (`upstream_rq_2xx`, `downstream_rq_2xx`).
        case codeClass(String)
        /// A bucket of the request time histogram (ms), cumulative.
        case timeBucket(le: Double)
        /// TLS handshakes: the connections to this cluster are mutual TLS.
        case tlsHandshakes
    }

    public var scope: Scope
    public var stat: Stat

    public init(scope: Scope, stat: Stat) {
        self.scope = scope
        self.stat = stat
    }

    /// The request statistic a sample is, or nil for every other metric.
    public init?(_ sample: Sample) {
        let name = sample.name
        let (prefix, tag, isCluster): (String, String, Bool)
        if name.hasPrefix("envoy_cluster_"), let cluster = sample.label("envoy_cluster_name") ?? sample.label("cluster_name") {
            (prefix, tag, isCluster) = ("envoy_cluster_", cluster, true)
        } else if name.hasPrefix("envoy_http_"), let manager = sample.label("envoy_http_conn_manager_prefix") {
            (prefix, tag, isCluster) = ("envoy_http_", manager, false)
        } else {
            return nil
        }
        let body = name.dropFirst(prefix.count)
        let suffixes: [(String, () -> Stat?)] = isCluster
            ? [("upstream_rq_completed", { .completed }),
               ("upstream_rq_xx", { sample.label("envoy_response_code_class").map(Stat.codeClass) }),
               ("upstream_rq", { sample.label("envoy_response_code").map(Stat.code) }),
               ("upstream_rq_time_bucket", { sample.label("le").flatMap(Double.init).map { Stat.timeBucket(le: $0) } }),
               ("ssl_handshake", { .tlsHandshakes })]
            : [("downstream_rq_completed", { .completed }),
               ("downstream_rq_xx", { sample.label("envoy_response_code_class").map(Stat.codeClass) }),
               ("downstream_rq_time_bucket", { sample.label("le").flatMap(Double.init).map { Stat.timeBucket(le: $0) } })]
        for (suffix, stat) in suffixes {
            guard body == suffix || body.hasSuffix("_" + suffix) else { continue }
            let rest = body == suffix ? "" : String(body.dropLast(suffix.count + 1))
            // `cluster.X.external.upstream_rq_*` and `.internal.` repeat the totals by origin.
            if isCluster, rest == "external" || rest == "internal" || rest.hasSuffix("_external") || rest.hasSuffix("_internal") { return nil }
            guard let stat = stat() else { return nil }
            let full = rest.isEmpty ? tag : tag + "." + rest.replacingOccurrences(of: "_", with: ".")
            scope = isCluster ? .cluster(full) : .http(full)
            self.stat = stat
            return
        }
        return nil
    }

    /// Restores the names default tags blurred: each known name under its blurred form (every
    /// character but a letter or digit as `_`), names that blur alike left out.
    public static func nameResolver(_ known: [String]) -> [String: String] {
        var byBlurred: [String: String?] = [:]
        for name in known {
            let key = blurred(name)
            byBlurred[key] = byBlurred[key] == nil ? name : .some(nil)
        }
        return byBlurred.compactMapValues { $0 }
    }

    /// A name as it stands in a metric name: letters and digits kept, everything else `_`.
    static func blurred(_ name: String) -> String {
        String(String.UnicodeScalarView(name.unicodeScalars.map { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) ? $0 : "_" }))
    }

    /// The Envoy filter (RE2, on full stat names) that lets the request statistics above
    /// through `/stats/prometheus`, besides Istio's `istio_request…` and `server.state`.
    public static let filter = #"^cluster\..+\.(upstream_rq_([0-9]{3}|[0-9]xx|completed|time)|ssl\.handshake)$|^http\..+\.downstream_rq_([0-9]xx|completed|time)$"#
}
