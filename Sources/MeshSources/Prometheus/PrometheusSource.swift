import Foundation
import MeshModel

/// Istio request rates over one window as Prometheus computes them: requests per second per
/// series, and duration-bucket rates per reporter, caller and callee.
public struct PrometheusTraffic: Sendable {
    public var rates: [RequestSeries: Double] = [:]
    public var buckets: [RequestSeries: [Double: Double]] = [:]

    public init() {}
}

/// What the Prometheus source returned in one poll: the display window (RPS, success, latency)
/// and the health window, like the direct path's two baselines (product.md §6).
public struct PrometheusRound: Sendable {
    public var display: PrometheusTraffic
    public var health: PrometheusTraffic
}

/// Reads service and edge RED metrics from Prometheus the way Kiali does (mesh-apis.md §3.3):
/// `sum by (…) (rate(istio_requests_total{reporter=…}[window]))` for rates and codes, and the
/// same over `istio_request_duration_milliseconds_bucket` (or `_seconds_bucket`, scaled) for
/// latency. Four instant queries per poll, whatever the size of the mesh.
public struct PrometheusSource: Sendable {
    /// The source's name in statuses and errors.
    public static let sourceName = "prometheus"
    /// Where it answers: a base URL, or a Service through the Kubernetes API's service proxy.
    public let endpoint: MeshEndpoint
    /// The endpoint as statuses and errors show it (`http://…:9090`, `serviceproxy://istio-system/prometheus:9090`).
    public var baseURL: String { endpoint.description }
    /// Prometheus has its own transport (its token and CA, not istiod's).
    public let client: MeshClient

    /// Labels requests are grouped by: enough to tell services, edges, versions, codes and mTLS apart.
    static let requestGrouping = "reporter,source_workload_namespace,source_canonical_service,destination_service_namespace,"
        + "destination_service_name,destination_version,response_code,grpc_response_status,connection_security_policy"
    static let bucketGrouping = "le,reporter,source_workload_namespace,source_canonical_service,destination_service_namespace,destination_service_name"
    static let reporters = "reporter=~\"source|destination|waypoint\""

    public init(baseURL: String, client: MeshClient) {
        self.init(endpoint: .url(baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL), client: client)
    }

    public init(endpoint: MeshEndpoint, client: MeshClient) {
        self.endpoint = endpoint
        self.client = client
    }

    public static func requestQuery(window: Int) -> String {
        "sum by (\(requestGrouping)) (rate(istio_requests_total{\(reporters)}[\(window)s])) > 0"
    }

    public static func bucketQuery(window: Int, seconds: Bool = false) -> String {
        let metric = seconds ? "istio_request_duration_seconds_bucket" : "istio_request_duration_milliseconds_bucket"
        return "sum by (\(bucketGrouping)) (rate(\(metric){\(reporters)}[\(window)s]))"
    }

    /// RPS per service and minute for the TREND column, from `/api/v1/query_range`.
    public static func trendQuery() -> String {
        "sum by (destination_service_namespace,destination_service_name) (rate(istio_requests_total{reporter=\"destination\"}[1m]))"
    }

    /// Both windows, in one poll.
    public func read(displayWindow: TimeInterval, healthWindow: TimeInterval, at time: Date) async throws(SourceError) -> PrometheusRound {
        // Both windows at once; `async let` forgets the error type, so each result comes back as one.
        async let display = result { () async throws(SourceError) in try await traffic(window: displayWindow, at: time) }
        async let health = result { () async throws(SourceError) in try await traffic(window: healthWindow, at: time) }
        return PrometheusRound(display: try await display.get(), health: try await health.get())
    }

    private func result<T>(_ body: () async throws(SourceError) -> T) async -> Result<T, SourceError> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    func traffic(window: TimeInterval, at time: Date) async throws(SourceError) -> PrometheusTraffic {
        let seconds = max(1, Int(window.rounded()))
        var out = PrometheusTraffic()
        for series in try await query(Self.requestQuery(window: seconds), at: time) {
            guard let value = series.value, value.isFinite, value > 0 else { continue }
            out.rates[RequestSeries(istioLabels: { series.labels[$0] }), default: 0] += value
        }
        var bucketSeries = try await query(Self.bucketQuery(window: seconds), at: time)
        var scale = 1.0
        if bucketSeries.isEmpty, !out.rates.isEmpty {
            bucketSeries = try await query(Self.bucketQuery(window: seconds, seconds: true), at: time)
            scale = 1000
        }
        for series in bucketSeries {
            guard let value = series.value, value.isFinite, let le = series.labels["le"].flatMap(PrometheusAPI.parseValue) else { continue }
            let bound = le.isFinite ? le * scale : le
            out.buckets[RequestSeries(istioLabels: { series.labels[$0] }), default: [:]][bound, default: 0] += value
        }
        return out
    }

    /// RPS per service (`namespace/name`) for each of the last `minutes` minutes up to `end`.
    public func serviceTrends(minutes: Int, endingAt end: Date) async throws(SourceError) -> [String: [Double]] {
        let start = end.addingTimeInterval(-Double(minutes - 1) * 60)
        var out: [String: [Double]] = [:]
        for series in try await decode(PrometheusAPI.rangePath(Self.trendQuery(), start: start, end: end, step: 60)) {
            guard let namespace = series.labels["destination_service_namespace"], let name = series.labels["destination_service_name"] else { continue }
            var points = Array(repeating: 0.0, count: minutes)
            for sample in series.samples {
                let index = Int(((sample.time - start.timeIntervalSince1970) / 60).rounded())
                if points.indices.contains(index), sample.value.isFinite { points[index] = sample.value }
            }
            out["\(namespace)/\(name)"] = points
        }
        return out
    }

    func query(_ promQL: String, at time: Date) async throws(SourceError) -> [PrometheusAPI.Series] {
        try await decode(PrometheusAPI.queryPath(promQL, time: time))
    }

    /// GET and decode; errors name the source (not the long query URL) and carry Prometheus's
    /// own message.
    func decode(_ path: String) async throws(SourceError) -> [PrometheusAPI.Series] {
        let source = "\(Self.sourceName) \(baseURL)"
        let response: MeshResponse
        do {
            response = try await client.send(MeshRequest(.GET, endpoint, path, source: Self.sourceName, accept: "application/json",
                                                         authenticate: true, alsoAccept: PrometheusAPI.errorStatuses))
        } catch {
            throw error.named(source)
        }
        do {
            return try PrometheusAPI.decode(response.body)
        } catch let error as PrometheusAPI.QueryError {
            throw SourceError(source: source, reason: .queryFailed(status: response.status, message: "\(error)"))
        } catch {
            let reason = SourceError.decoding(error)
            throw SourceError(source: source, reason: response.status == 200 ? reason : .queryFailed(status: response.status, message: "\(reason)"))
        }
    }
}
