/// A proxy's statistics under their hierarchical names (`cluster.<name>.upstream_rq_200`), as
/// `/stats` lists them.
struct HierarchicalStats {
    var counters: [(String, Int)] = []
    var gauges: [(String, Int)] = []
    var histograms: [(String, CodeCounters)] = []

    /// Counters and gauges in one list, by name (`/stats` and its JSON do not tell them apart).
    var scalars: [(String, Int)] { (counters + gauges).sorted { $0.0 < $1.0 } }
}

/// `/stats/prometheus` of an Envoy left with its default tag rules (Kuma, Consul, Envoy Gateway:
/// no Istio bootstrap), derived from the hierarchical names as Envoy derives it:
/// - `^cluster\.((.+?)\.)` → `envoy_cluster_name`, cut at the name's first dot (the rest stays in
///   the metric name: `envoy_cluster_default_dc1_internal_…_consul_upstream_rq_total`);
/// - `^http\.((.*?)\.)` → `envoy_http_conn_manager_prefix`;
/// - `_rq(_(\d{3}))$` → `envoy_response_code`, `_rq(_(\d)xx)$` → `envoy_response_code_class`;
/// - what is left, `envoy_` in front and every character but `[a-zA-Z0-9_]` made `_`.
/// Counters, then gauges, then histograms, each sorted by name, as Envoy 1.40 writes them
/// (fixtures/envoy-1.40/*/stats-prometheus.txt). `include` is `?filter=`, matched against the
/// hierarchical name as Envoy matches it.
enum EnvoyDefaultTags {
    struct Tagged {
        var name: String
        var labels: [(String, String)]

        var labelText: String { labels.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ",") }
    }

    static func tag(_ statName: String) -> Tagged {
        var rest = Substring(statName)
        var scope: (String, String)?
        for (prefix, label) in [("cluster.", "envoy_cluster_name"), ("http.", "envoy_http_conn_manager_prefix")] where rest.hasPrefix(prefix) {
            let body = rest.dropFirst(prefix.count)
            if let dot = body.firstIndex(of: ".") {
                scope = (label, String(body[..<dot]))
                rest = Substring(prefix) + body[body.index(after: dot)...]
            }
            break
        }
        var code: (String, String)?
        if let underscore = rest.lastIndex(of: "_"), rest[..<underscore].hasSuffix("_rq") {
            let tail = rest[rest.index(after: underscore)...]
            if tail.count == 3, tail.allSatisfy(\.isNumber) {
                code = ("envoy_response_code", String(tail))
                rest = rest[..<underscore]
            } else if tail.count == 3, tail.first!.isNumber, tail.hasSuffix("xx") {
                code = ("envoy_response_code_class", String(tail.prefix(1)))
                rest = rest[..<underscore] + "_xx"
            }
        }
        let name = "envoy_" + String(rest.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
        return Tagged(name: name, labels: [code, scope].compactMap { $0 })
    }

    static func prometheus(_ stats: HierarchicalStats, include: ((String) -> Bool)?) -> String {
        var out = ""
        func scalars(_ entries: [(String, Int)], type: String) {
            var families: [String: [(Tagged, Int)]] = [:]
            for (name, value) in entries where include?(name) ?? true {
                let tagged = tag(name)
                families[tagged.name, default: []].append((tagged, value))
            }
            for name in families.keys.sorted() {
                out += "# TYPE \(name) \(type)\n"
                for (tagged, value) in families[name]! { out += "\(name){\(tagged.labelText)} \(value)\n" }
            }
        }
        scalars(stats.counters, type: "counter")
        scalars(stats.gauges, type: "gauge")
        var histograms: [String: [(Tagged, CodeCounters)]] = [:]
        for (name, counters) in stats.histograms where include?(name) ?? true {
            let tagged = tag(name)
            histograms[tagged.name, default: []].append((tagged, counters))
        }
        var writer = PrometheusWriter()
        for name in histograms.keys.sorted() {
            writer.type(name, "histogram")
            for (tagged, counters) in histograms[name]! { writer.histogram(name, tagged.labelText, counters) }
        }
        return out + writer.text
    }
}
