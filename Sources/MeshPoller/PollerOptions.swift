import Foundation
import MeshSources

/// How and what to poll.
public struct PollerOptions: Sendable {
    /// istiod debug base URLs (one per replica), e.g. `http://127.0.0.1:15014`.
    public var istiodURLs: [String] = []
    /// Static proxy targets (a targets file).
    public var targets: [ScrapeTarget] = []
    /// istiods and proxies found while running (a Kubernetes cluster's pods), asked every poll.
    public var inventory: (any TargetInventory)?
    /// Admin-address template for proxies discovered from syncz/endpointz: `{ip}`, `{pod}`, `{namespace}`.
    public var adminTemplate: String?
    public var concurrency = 64
    /// Per-request deadline in seconds.
    public var timeout = 5.0
    public var bodyLimit = 64 << 20
    public var bearerToken: Credential?
    public var caFile: String?
    /// Backoff for failing targets: base and ceiling in seconds.
    public var backoffBase = 2.0
    public var backoffMax = 60.0
    /// At most this many proxies have their route and cluster sets re-read per poll (only those
    /// whose acknowledged CDS/RDS version changed, or, without istiod, every `configRefresh`).
    public var configFetchesPerPoll = 32
    public var configRefresh = 300.0
    /// Read proxies' route and cluster sets at all (for config revisions in the history store).
    public var proxyConfigs = true
    /// `?filter=` for `/stats/prometheus`: derivation reads only Istio's request metrics, and a
    /// sidecar's per-cluster Envoy stats are most of its exposition (measured: 1.96 MB per
    /// simulated proxy unfiltered). `server.state` (Envoy's name; `.` also matches the `_` of
    /// `envoy_server_state`) brings the server state along, so `/ready` is not asked as well:
    /// that was 5,000 of a 5,000-proxy poll's 10,000 requests, 28 % of the fetch CPU. With a
    /// filter that leaves it out, `/ready` is read as before. Envoy's own request statistics
    /// (`EnvoyRequestStat.filter`: per-cluster response codes and request time, inbound HTTP
    /// classes) come along for an Envoy without Istio; Istio's stats inclusion list leaves them
    /// out of a stock sidecar's answer, so they cost it nothing. nil fetches everything.
    public var statsFilter: String? = "istio_request|server.state|" + EnvoyRequestStat.filter
    /// A proxy's SDS secrets or `/certs` (hundreds of KB) and `/server_info` are re-read after
    /// half to all of this (spread at random, so a large mesh's proxies do not all come due in
    /// one poll); certificates change on rotation, not per poll.
    public var certsRefresh = 30.0
    /// Prometheus base URL: Istio service and edge metrics come from its query API instead of
    /// every Envoy's `/stats/prometheus` (the path for large meshes). Envoy targets are then read
    /// for certificates, server state and config only; Linkerd and MOSN targets as always.
    public var prometheusURL: String?
    /// A Prometheus found in the cluster (`KubePrometheus`), reached through the poller's own
    /// transport (the API server's service proxy); used when no `prometheusURL` is given.
    public var prometheusEndpoint: MeshEndpoint?
    /// Bearer token and CA bundle for Prometheus (separate from istiod's).
    public var prometheusToken: Credential?
    public var prometheusCAFile: String?
    /// The windows of the Prometheus queries: shown rates, and health (the deriver's windows).
    public var rateWindow = 60.0
    public var healthWindow = 300.0

    /// The time data is stamped with (rates, windows, caches, backoff). A soak test runs it
    /// faster than the wall clock, in step with an accelerated simulator.
    public var clock: @Sendable () -> Date = { Date() }

    public init() {}
}
