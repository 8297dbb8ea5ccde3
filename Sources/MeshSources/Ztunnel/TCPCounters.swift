import Foundation
import MeshModel

/// One L4 series: who connected to whom, and whether over mutual TLS.
public struct TCPSeries: Hashable, Sendable {
    public var sourceNamespace: String
    public var sourceService: String
    public var destinationNamespace: String
    public var destinationService: String
    public var mutualTLS: Bool

    public init(sourceNamespace: String, sourceService: String, destinationNamespace: String, destinationService: String, mutualTLS: Bool) {
        self.sourceNamespace = sourceNamespace
        self.sourceService = sourceService
        self.destinationNamespace = destinationNamespace
        self.destinationService = destinationService
        self.mutualTLS = mutualTLS
    }
}

/// Bytes each way and connections opened, as counters.
public struct TCPCounts: Hashable, Sendable {
    /// Bytes the destination received (client → server).
    public var bytesIn: Double = 0
    /// Bytes the destination sent (server → client).
    public var bytesOut: Double = 0
    public var opened: Double = 0

    public init(bytesIn: Double = 0, bytesOut: Double = 0, opened: Double = 0) {
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.opened = opened
    }
}

/// A ztunnel's `istio_tcp_*` counters at one instant, from the destination's reporter only:
/// each connection is reported at both ends, and Istio's own tests and Kiali count the
/// destination's (mesh-apis.md §10).
public struct TCPCounters: Sendable {
    public var at: Date
    public var series: [TCPSeries: TCPCounts] = [:]

    public init(at: Date) { self.at = at }

    public init(at: Date, exposition: Exposition) {
        self.at = at
        let families: [(String, WritableKeyPath<TCPCounts, Double>)] = [
            ("istio_tcp_received_bytes_total", \.bytesIn), ("istio_tcp_sent_bytes_total", \.bytesOut), ("istio_tcp_connections_opened_total", \.opened),
        ]
        for (name, field) in families {
            for sample in exposition.family(name)?.samples ?? [] where sample.label("reporter") == "destination" {
                let key = TCPSeries(
                    sourceNamespace: sample.label("source_workload_namespace") ?? "unknown",
                    sourceService: sample.label("source_canonical_service") ?? sample.label("source_app") ?? "unknown",
                    destinationNamespace: sample.label("destination_service_namespace") ?? sample.label("destination_workload_namespace") ?? "unknown",
                    destinationService: sample.label("destination_service_name") ?? sample.label("destination_canonical_service") ?? "unknown",
                    mutualTLS: sample.label("connection_security_policy") == "mutual_tls")
                series[key, default: TCPCounts()][keyPath: field] += sample.value
            }
        }
    }

    /// Increases since `earlier` (a series whose counters went down restarted: its whole
    /// value is the increase).
    public func increase(since earlier: TCPCounters) -> [TCPSeries: TCPCounts] {
        var out: [TCPSeries: TCPCounts] = [:]
        for (key, now) in series {
            let before = earlier.series[key] ?? TCPCounts()
            let restarted = now.bytesIn < before.bytesIn || now.bytesOut < before.bytesOut || now.opened < before.opened
            out[key] = restarted ? now : TCPCounts(bytesIn: now.bytesIn - before.bytesIn, bytesOut: now.bytesOut - before.bytesOut, opened: now.opened - before.opened)
        }
        return out
    }
}
