import Foundation

/// The identity of one request series, reduced to what meshtop aggregates by. Shaped after
/// Istio's standard metrics; Linkerd's and MOSN's counters are mapped into it (LinkerdTraffic,
/// MosnTraffic) so that every mesh goes through the same rate and health derivation.
public struct RequestSeries: Hashable, Sendable {
    public var reporter: String
    public var sourceNamespace: String
    public var sourceService: String
    public var sourceWorkload: String
    public var destinationNamespace: String
    public var destinationService: String
    public var destinationHost: String
    public var destinationWorkload: String
    public var destinationVersion: String
    public var responseCode: String
    public var grpcStatus: String
    public var mutualTLS: Bool

    public init(reporter: String, sourceNamespace: String, sourceService: String, sourceWorkload: String = "unknown",
                destinationNamespace: String, destinationService: String, destinationHost: String = "",
                destinationWorkload: String = "unknown", destinationVersion: String = "unknown", responseCode: String,
                grpcStatus: String = "", mutualTLS: Bool) {
        self.reporter = reporter
        self.sourceNamespace = sourceNamespace
        self.sourceService = sourceService
        self.sourceWorkload = sourceWorkload
        self.destinationNamespace = destinationNamespace
        self.destinationService = destinationService
        self.destinationHost = destinationHost
        self.destinationWorkload = destinationWorkload
        self.destinationVersion = destinationVersion
        self.responseCode = responseCode
        self.grpcStatus = grpcStatus
        self.mutualTLS = mutualTLS
    }

    /// From Istio standard-metric labels (a scraped sample, or a Prometheus query result).
    init(istioLabels label: (String) -> String?) {
        reporter = label("reporter") ?? ""
        sourceNamespace = label("source_workload_namespace") ?? "unknown"
        sourceService = label("source_canonical_service") ?? label("source_app") ?? "unknown"
        sourceWorkload = label("source_workload") ?? "unknown"
        destinationNamespace = label("destination_service_namespace") ?? label("destination_workload_namespace") ?? "unknown"
        destinationService = label("destination_service_name") ?? label("destination_canonical_service") ?? "unknown"
        destinationHost = label("destination_service") ?? ""
        destinationWorkload = label("destination_workload") ?? "unknown"
        destinationVersion = label("destination_version") ?? label("destination_canonical_revision") ?? "unknown"
        responseCode = label("response_code") ?? ""
        grpcStatus = label("grpc_response_status") ?? ""
        mutualTLS = label("connection_security_policy") == "mutual_tls"
    }

    init(_ sample: Sample) { self.init(istioLabels: sample.label) }

    /// An error in Kiali's sense: HTTP 5xx or no response (0), or a gRPC error with an OK HTTP code.
    public var isServerError: Bool {
        if responseCode == "0" || responseCode.hasPrefix("5") || responseCode == "-" { return true }
        if let grpc = Int(grpcStatus), (1...16).contains(grpc), !responseCode.hasPrefix("4") { return true }
        return false
    }

    public var isClientError: Bool { responseCode.hasPrefix("4") }
}

/// The pod a proxy target runs in, from the targets file's labels: what a Linkerd or MOSN proxy
/// reports about its own side (their metrics name only the peer).
struct TargetIdentity {
    var namespace: String, service: String, workload: String, version: String

    init(_ target: ScrapeTarget) {
        namespace = target.labels["namespace"] ?? "unknown"
        workload = target.labels["workload"] ?? "unknown"
        service = target.labels["app"] ?? target.labels["service"] ?? workload
        version = target.labels["version"] ?? "unknown"
    }
}

/// One proxy's request counters at one instant: request counts and duration buckets per series.
public struct RequestCounters: Sendable {
    public var at: Date
    public var requests: [RequestSeries: Double] = [:]
    /// Per series: upper bound (ms) → cumulative count.
    public var durationBuckets: [RequestSeries: [Double: Double]] = [:]

    public init(at: Date) { self.at = at }

    public init(at: Date, exposition: Exposition) {
        self.at = at
        for sample in exposition.family("istio_requests_total")?.samples ?? [] {
            requests[RequestSeries(sample), default: 0] += sample.value
        }
        let seconds = exposition.family("istio_request_duration_milliseconds") == nil
        let family = exposition.family("istio_request_duration_milliseconds") ?? exposition.family("istio_request_duration_seconds")
        for sample in family?.samples ?? [] where sample.name.hasSuffix("_bucket") {
            guard let le = sample.label("le").flatMap(Double.init) else { continue }
            let bound = seconds && le.isFinite ? le * 1000 : le
            durationBuckets[RequestSeries(sample), default: [:]][bound, default: 0] += sample.value
        }
    }
}
