import Foundation

/// Linkerd proxy metrics (`:4191/metrics`, mesh-apis.md §5) as request series, so a Linkerd pod
/// is derived exactly like an Envoy sidecar:
/// - `direction="inbound"` `response_total` is what the pod's service answered
///   (reporter=destination); the caller is known only by its identity (`client_id`), so only its
///   namespace is kept.
/// - `direction="outbound"` is what the pod called (reporter=source), destination from
///   `dst_service`/`dst_namespace` (or the `authority`), version from `dst_deployment` minus the
///   service name (`reviews-v2` → `v2`): Linkerd has no version label.
/// - `status_code` is the HTTP code; a failure without one (`error` label) counts as code 0.
/// - `tls="true"` is mTLS.
/// The proxy's own admin traffic (`target_port="4191"`: probes and scrapes) is left out.
enum LinkerdTraffic {
    static let adminPort = "4191"

    static func counters(at date: Date, exposition: Exposition, target: ScrapeTarget) -> RequestCounters {
        var counters = RequestCounters(at: date)
        let own = TargetIdentity(target)
        for sample in exposition.family("response_total")?.samples ?? [] {
            guard let series = series(sample, own: own) else { continue }
            counters.requests[series, default: 0] += sample.value
        }
        for sample in exposition.family("response_latency_ms")?.samples ?? [] where sample.name.hasSuffix("_bucket") {
            guard let le = sample.label("le").flatMap(Double.init), let series = series(sample, own: own) else { continue }
            counters.durationBuckets[series, default: [:]][le, default: 0] += sample.value
        }
        return counters
    }

    static func series(_ sample: Sample, own: TargetIdentity) -> RequestSeries? {
        if sample.label("target_port") == adminPort { return nil }
        let code = sample.label("status_code") ?? (sample.label("classification") == "failure" ? "0" : "200")
        let tls = sample.label("tls") == "true"
        switch sample.label("direction") {
        case "inbound":
            // client_id: <serviceaccount>.<namespace>.serviceaccount.identity.linkerd.<trust domain>
            let client = sample.label("client_id")?.split(separator: ".").map(String.init) ?? []
            return RequestSeries(reporter: "destination", sourceNamespace: client.count > 2 ? client[1] : "unknown", sourceService: "unknown",
                                 destinationNamespace: own.namespace, destinationService: own.service, destinationWorkload: own.workload,
                                 destinationVersion: own.version, responseCode: code, grpcStatus: sample.label("grpc_status") ?? "", mutualTLS: tls)
        case "outbound":
            let authority = sample.label("authority") ?? ""
            let host = authority.split(separator: ":").first.map(String.init) ?? ""
            let hostParts = host.split(separator: ".").map(String.init)
            let service = sample.label("dst_service") ?? hostParts.first ?? "unknown"
            let namespace = sample.label("dst_namespace") ?? (hostParts.count > 1 ? hostParts[1] : "unknown")
            let deployment = sample.label("dst_deployment") ?? ""
            let version = deployment.hasPrefix(service + "-") ? String(deployment.dropFirst(service.count + 1)) : "unknown"
            return RequestSeries(reporter: "source", sourceNamespace: own.namespace, sourceService: own.service, sourceWorkload: own.workload,
                                 destinationNamespace: namespace, destinationService: service, destinationHost: host,
                                 destinationWorkload: deployment.isEmpty ? "unknown" : deployment, destinationVersion: version,
                                 responseCode: code, grpcStatus: sample.label("grpc_status") ?? "", mutualTLS: tls)
        default:
            return nil
        }
    }

    /// The proxy build version (`proxy_build_info{version="…"}`).
    static func version(_ exposition: Exposition) -> String? {
        exposition.family("proxy_build_info")?.samples.first?.label("version")
    }

    /// The workload identity certificate's expiry (`identity_cert_expiration_timestamp_seconds`).
    /// Linkerd does not expose the serial, name or issue time: the serial and subject name the
    /// proxy, and the issue time is taken as 24 h before expiry (Linkerd's default lifetime).
    static func certificate(_ exposition: Exposition, proxyID: String) -> CertificateDetail? {
        guard let expiry = exposition.family("identity_cert_expiration_timestamp_seconds")?.samples.first?.value, expiry > 0 else { return nil }
        let notAfter = Date(timeIntervalSince1970: expiry)
        return CertificateDetail(serial: "linkerd-identity:\(proxyID)", sans: ["linkerd identity of \(proxyID)"],
                                 validFrom: notAfter.addingTimeInterval(-86400),
                                 expiration: notAfter, isCA: false)
    }
}
