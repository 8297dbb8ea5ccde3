import Foundation
import MeshModel

/// What to poll in a cluster, kept current from the Kubernetes API: istiod pods of every
/// revision, and every pod running `istio-proxy` (sidecars, native sidecars, gateways). Listed
/// once (pages of 500), then followed with watches in short segments; a 410 Gone re-lists.
/// `follow()` lists in the background, so a console is on screen (and answers keys) while a
/// large cluster's pods arrive; `firstList()` lets the first poll wait for them.
public actor KubeInventory {
    let client: MeshClient
    /// nil: every namespace (`-A`).
    let namespace: String?
    let pageSize: Int
    let watchSeconds: Int
    private var pods: [String: KubePod] = [:]
    private var resourceVersion: String?
    private var lastError: SourceError?
    private var listedAt: Date?
    private var follower: Task<Void, Never>?
    /// A list has finished (or failed) since `follow()`; until then polls wait in `firstList()`.
    private var listSettled = false
    private var listWaiters: [CheckedContinuation<Void, Never>] = []

    public static let istiodNamespace = "istio-system"
    /// A namespace-scoped inventory re-lists this often, to follow istiod pods it does not watch.
    static let relistSeconds: TimeInterval = 300

    public init(client: MeshClient, namespace: String?, pageSize: Int = 500, watchSeconds: Int = 2) {
        self.client = client.restricted(to: .readOnly)
        self.namespace = namespace
        self.pageSize = pageSize
        self.watchSeconds = watchSeconds
    }

    /// Lists the pods now (errors are kept for the status line and thrown).
    public func list() async throws(SourceError) {
        defer { settleFirstList() }
        do {
            var collected: [String: KubePod] = [:]
            var token: String?
            var version: String?
            repeat {
                var path = podsPath + "?limit=\(pageSize)"
                if let token { path += "&continue=" + QueryText.encode(token) }
                let page: KubePodList = try await get(path)
                for pod in page.items ?? [] where pod.hasIstioProxy || pod.isIstiod { collected[pod.key] = pod }
                token = page.metadata?.continue.flatMap { $0.isEmpty ? nil : $0 }
                version = page.metadata?.resourceVersion ?? version
            } while token != nil
            if let namespace, namespace != Self.istiodNamespace {
                // A namespace's proxies still report to istiod in its own namespace.
                let istiods: KubePodList = try await get("/api/v1/namespaces/\(Self.istiodNamespace)/pods?labelSelector=app%3Distiod")
                for pod in istiods.items ?? [] { collected[pod.key] = pod }
            }
            pods = collected
            resourceVersion = version
            listedAt = Date()
            lastError = nil
        } catch {
            lastError = error
            throw error
        }
    }

    /// Follows changes until cancelled: a watch segment at a time, re-listing after a 410 or
    /// a failure — after a pause of 2 s, or as long as a 429's `Retry-After` asks, so a broken
    /// or overloaded API server is not hammered.
    public func follow() {
        guard follower == nil else { return }
        follower = Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                let ok = await self.watchSegment()
                if !ok { try? await Task.sleep(for: .seconds(await self.pauseAfterFailure)) }
            }
        }
    }

    /// Seconds to wait after a failed list or watch.
    var pauseAfterFailure: Double {
        if case let .throttled(retryAfter)? = lastError?.reason { return min(max(2, retryAfter), 300) }
        return 2
    }

    public func stop() {
        follower?.cancel()
        follower = nil
        settleFirstList()
    }

    /// Returns once the first list since `follow()` ended, well or not (at once when not following).
    public func firstList() async {
        guard follower != nil, !listSettled else { return }
        await withCheckedContinuation { listWaiters.append($0) }
    }

    private func settleFirstList() {
        listSettled = true
        let waiters = listWaiters
        listWaiters = []
        waiters.forEach { $0.resume() }
    }

    /// One watch segment; false when it failed (then the next one lists again).
    func watchSegment() async -> Bool {
        if namespace != nil, let listedAt, Date().timeIntervalSince(listedAt) > Self.relistSeconds { resourceVersion = nil }
        guard let version = resourceVersion else {
            do { try await list() } catch { return false }
            return true
        }
        let path = podsPath + "?watch=1&allowWatchBookmarks=true&resourceVersion=\(version)&timeoutSeconds=\(watchSeconds)"
        do {
            let response = try await client.send(MeshRequest(.GET, .kubernetesAPI, path, source: "kubernetes", accept: "application/json"))
            for line in response.body.split(separator: 0x0A) where !line.isEmpty {
                let event = try SourceError.decode("kubernetes watch pods") { try JSONDecoder().decode(KubePodEvent.self, from: Data(line)) }
                switch event.type {
                case "ADDED", "MODIFIED":
                    if event.object.hasIstioProxy || event.object.isIstiod { pods[event.object.key] = event.object } else { pods[event.object.key] = nil }
                case "DELETED": pods[event.object.key] = nil
                case "ERROR":
                    // 410 Gone: the version was compacted away; start over from a list.
                    resourceVersion = nil
                    return event.status?.code == 410
                default: break
                }
                if let next = event.object.metadata?.resourceVersion { resourceVersion = next }
            }
            lastError = nil
            return true
        } catch {
            lastError = error
            resourceVersion = nil
            return false
        }
    }

    /// The pods now: istiods and proxies, Running ones only, sorted by namespace and name.
    public var current: (istiods: [KubePod], proxies: [KubePod]) {
        let running = pods.values.filter(\.isRunning).sorted { $0.key < $1.key }
        return (running.filter(\.isIstiod), running.filter { $0.hasIstioProxy && !$0.isIstiod })
    }

    public var error: SourceError? { lastError }

    var podsPath: String { namespace.map { "/api/v1/namespaces/\($0)/pods" } ?? "/api/v1/pods" }

    func get<T: Decodable>(_ path: String) async throws(SourceError) -> T {
        let response = try await client.send(MeshRequest(.GET, .kubernetesAPI, path, source: "kubernetes", accept: "application/json"))
        return try SourceError.decode("kubernetes \(path)") { try JSONDecoder().decode(T.self, from: Data(response.body)) }
    }
}
