import Foundation

/// Appends Prometheus text lines; families are written contiguously by the caller.
struct PrometheusWriter {
    var text = ""
    /// Which families to write (Envoy's `?filter=`): the others are skipped before their label
    /// text is even built, so a filtered scrape costs what it returns.
    var include: ((String) -> Bool)?
    private var writing = true
    /// The `le` labels of Envoy's duration buckets (Istio's and Linkerd's histograms use them).
    static let bucketLabels = envoyBucketBoundsMs.map { JSONWriter.format($0) } + ["+Inf"]

    init(include: ((String) -> Bool)? = nil) {
        self.include = include
        text.reserveCapacity(include == nil ? 64 * 1024 : 16 * 1024)
    }

    mutating func type(_ name: String, _ type: String) {
        writing = include?(name) ?? true
        if writing { text += "# TYPE \(name) \(type)\n" }
    }

    mutating func sample(_ name: String, _ labels: @autoclosure () -> String, _ value: Int) {
        guard writing else { return }
        text += "\(name){\(labels())} \(value)\n"
    }

    mutating func histogram(_ name: String, _ labels: @autoclosure () -> String, _ counters: @autoclosure () -> CodeCounters) {
        guard writing else { return }
        let labels = labels(), counters = counters()
        let cumulative = counters.cumulativeBuckets
        let separator = labels.isEmpty ? "" : ","
        for (index, label) in Self.bucketLabels.enumerated() {
            text += "\(name)_bucket{\(labels)\(separator)le=\"\(label)\"} \(cumulative[index])\n"
        }
        text += "\(name)_sum{\(labels)} \(PrometheusWriter.float(counters.sumMs))\n"
        text += "\(name)_count{\(labels)} \(counters.count)\n"
    }

    /// Envoy prints sums with up to 17 significant digits; integers without a fraction.
    static func float(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.17g", value)
    }
}
