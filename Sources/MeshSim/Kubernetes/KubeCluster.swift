import Foundation
import Synchronization

/// One change to a pod, as a watch delivers it.
struct KubeWatchEvent: Sendable {
    var resourceVersion: Int
    var type: String
    var namespace: String
    var object: JSONValue
}

/// The simulated cluster's mutable side: resource versions and the recent pod changes a watch
/// replays. Pods change when the simulation says so (a proxy goes away and comes back, a drain
/// makes it unready); everything else keeps the version it started with.
final class KubeCluster: Sendable {
    let simulator: MeshSimulator
    let credentials: KubeCredentials
    let certificates: KubeCertificates
    private let versions: Mutex<Versions>
    /// The sorted pod list of one resource version. A client lists a large cluster a page at a
    /// time (10 pages of 500 for 5,000 pods), and every page is cut from the whole list: built
    /// once per version, not once per page (which made a 5,000-pod list take 9 s).
    private let podList = Mutex<(version: Int, pods: [JSONValue])?>(nil)
    /// Proxy index by `namespace/pod`: every port-forward and pod-proxy request looks its pod up.
    private let proxyIndex: [String: Int]
    /// Rights taken away while running (`revoke`), as `context|subresource|namespace`.
    private let revoked = Mutex<Set<String>>([])
    /// Requests still to answer 429, and the `Retry-After` they carry (`throttle`).
    private let throttling = Mutex((remaining: 0, retryAfter: 1))
    /// Changes kept for watches; a watch from before the oldest gets 410 Gone (compaction).
    static let retainedEvents = 1000

    struct Versions {
        var current = 1000
        var byKey: [String: Int] = [:]
        /// `present|ready` per proxy, to notice changes.
        var fingerprints: [String]
        var events: [KubeWatchEvent] = []
        /// The oldest version a watch or a continue token may start from.
        var oldestServed = 1000
        var watchers: [Int: Watcher] = [:]
        var nextWatcher = 0
    }

    /// An open watch: which events it wants and how to send one (onto its connection).
    struct Watcher {
        var wants: @Sendable (KubeWatchEvent) -> Bool
        var send: @Sendable (KubeWatchEvent) -> Void
    }

    init(simulator: MeshSimulator, tokenLifetime: TimeInterval) throws {
        self.simulator = simulator
        credentials = KubeCredentials(tokenLifetime: tokenLifetime)
        certificates = try KubeCertificates()
        versions = Mutex(Versions(fingerprints: simulator.read { Self.fingerprints($0) }))
        proxyIndex = Dictionary(simulator.topology.proxies.map { ("\($0.namespace)/\($0.podName)", $0.index) }, uniquingKeysWith: { first, _ in first })
    }

    var resourceVersion: Int { versions.withLock { $0.current } }
    var oldestServed: Int { versions.withLock { $0.oldestServed } }

    /// Reads the objects as of now, after recording what changed since the last look.
    func objects<T>(_ body: (KubeObjects) -> T) -> T {
        _ = refresh()
        let known = versions.withLock { $0.byKey }
        return simulator.read { state in body(KubeObjects(state: state, resourceVersion: { known[$0] ?? 1000 })) }
    }

    /// Every object of `resource` as of now (sorted by namespace and name) and the version they are at.
    func list(_ resource: KubeResource) -> (objects: [JSONValue], version: Int) {
        guard resource.group.isEmpty, resource.plural == "pods" else { return objects { ($0.list(resource), resourceVersion) } }
        _ = refresh()
        if let cached = podList.withLock({ $0 }), cached.version == resourceVersion { return (cached.pods, cached.version) }
        let (pods, version) = objects { ($0.pods(), resourceVersion) }
        podList.withLock { $0 = (version, pods) }
        return (pods, version)
    }

    /// Notices pods that appeared, went away or changed readiness; returns their watch events.
    func refresh() -> [KubeWatchEvent] {
        simulator.read { state -> [KubeWatchEvent] in
            let now = Self.fingerprints(state)
            return versions.withLock { versions -> [KubeWatchEvent] in
                var fresh: [KubeWatchEvent] = []
                for (index, print) in now.enumerated() where print != versions.fingerprints[index] {
                    let proxy = state.topology.proxies[index]
                    let key = "pod/\(proxy.namespace)/\(proxy.podName)"
                    let wasPresent = versions.fingerprints[index].hasPrefix("1")
                    let isPresent = print.hasPrefix("1")
                    versions.current += 1
                    versions.byKey[key] = versions.current
                    versions.byKey["pods"] = versions.current
                    let known = versions.byKey
                    let object = KubeObjects(state: state, resourceVersion: { known[$0] ?? 1000 }).pod(proxy)
                    let type = isPresent ? (wasPresent ? "MODIFIED" : "ADDED") : "DELETED"
                    fresh.append(KubeWatchEvent(resourceVersion: versions.current, type: type, namespace: proxy.namespace, object: object))
                }
                versions.fingerprints = now
                versions.events += fresh
                for event in fresh {
                    for watcher in versions.watchers.values where watcher.wants(event) { watcher.send(event) }
                }
                if versions.events.count > Self.retainedEvents {
                    versions.events.removeFirst(versions.events.count - Self.retainedEvents)
                    versions.oldestServed = versions.events.first.map { $0.resourceVersion - 1 } ?? versions.current
                }
                return fresh
            }
        }
    }

    /// Starts a watch from `resourceVersion`: replays the retained events after it, then sends
    /// each new one, in order (both happen under the lock that records changes). Returns the
    /// watch's id, or nil when that version was compacted away (410 Gone).
    func watch(after resourceVersion: Int, _ watcher: Watcher) -> Int? {
        _ = refresh()
        return versions.withLock { versions -> Int? in
            guard resourceVersion >= versions.oldestServed else { return nil }
            for event in versions.events where event.resourceVersion > resourceVersion && watcher.wants(event) { watcher.send(event) }
            versions.nextWatcher += 1
            versions.watchers[versions.nextWatcher] = watcher
            return versions.nextWatcher
        }
    }

    func stopWatching(_ id: Int) {
        versions.withLock { _ = $0.watchers.removeValue(forKey: id) }
    }

    /// A pod by namespace and name: a present proxy's, or istiod's.
    func pod(named name: String, namespace: String) -> KubeSimPod? {
        simulator.read { state -> KubeSimPod? in
            if namespace == KubeObjects.istiodNamespace, name == state.istiodName { return .istiod }
            guard let index = proxyIndex["\(namespace)/\(name)"], state.proxies[index].present else { return nil }
            return .proxy(index)
        }
    }

    func podIP(_ pod: KubeSimPod) -> String {
        switch pod {
        case let .proxy(index): simulator.topology.proxies[index].podIP
        case .istiod: KubeObjects.istiodPodIP
        }
    }

    /// The next `requests` API requests answer 429 Too Many Requests with `Retry-After`, as API
    /// priority and fairness does under load (tests of clients that must wait, not hammer).
    func throttle(requests: Int, retryAfter: Int) {
        throttling.withLock { $0 = (requests, retryAfter) }
    }

    /// Whether to throttle this request, and for how long.
    func takeThrottle() -> Int? {
        throttling.withLock { state in
            guard state.remaining > 0 else { return nil }
            state.remaining -= 1
            return state.retryAfter
        }
    }

    /// Whether `identity` may do this: its context's rights, less what was revoked since.
    func allows(_ identity: KubeIdentity, verb: String, resource: String, subresource: String?, namespace: String?) -> Bool {
        if let subresource, let namespace, revoked.withLock({ $0.contains("\(identity.context.rawValue)|\(subresource)|\(namespace)") }) { return false }
        return identity.context.rights.allows(verb: verb, resource: resource, subresource: subresource, namespace: namespace)
    }

    /// Takes a pod subresource (`portforward`, `proxy`) in one namespace away from a context, as
    /// an administrator editing a RoleBinding does while a session runs.
    func revoke(_ context: KubeSimContext, subresource: String, namespace: String) {
        revoked.withLock { _ = $0.insert("\(context.rawValue)|\(subresource)|\(namespace)") }
    }

    /// Forgets every change before now, as etcd compaction does (tests use it for 410 Gone).
    func compact() {
        versions.withLock { versions in
            versions.events.removeAll()
            versions.current += 1
            versions.oldestServed = versions.current
        }
    }

    /// What a pod object shows of its proxy: present, ready, and when it (re)started — a proxy
    /// that restarts between two looks is a MODIFIED pod, not an unchanged one.
    static func fingerprints(_ state: SimulatorState) -> [String] {
        state.proxies.map { ($0.present ? "1" : "0") + "|" + $0.serverState + "|" + String($0.startedAt.timeIntervalSince1970) }
    }
}
