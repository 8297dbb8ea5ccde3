import Foundation
import Testing
@testable import MeshSim

/// The simulated Kubernetes API's routing, without sockets: selectors, pagination, RBAC and
/// its Status bodies, the access review in both encodings, watches and compaction.
@Suite("Simulated Kubernetes API")
struct KubernetesAPITests {
    static func cluster(services: Int? = nil) throws -> KubeCluster {
        var options = SimOptions()
        options.services = services
        options.kube = KubeSimOptions()
        return try KubeCluster(simulator: try MeshSimulator(options: options), tokenLifetime: 900)
    }

    static func get(_ cluster: KubeCluster, _ uri: String, as context: KubeSimContext = .sim, accept: String? = nil) throws -> (Int, [String: Any]) {
        var request = SimRequest(method: "GET", uri: uri, localAddress: "127.0.0.1:6443")
        if let accept { request.headers = [("Accept", accept)] }
        guard case let .response(response) = KubeAPIRouter(cluster: cluster, serverAddress: "127.0.0.1:6443").route(request, identity: KubeIdentity(context: context)) else {
            throw KubeTestFailure.notAResponse(uri)
        }
        return (response.status, (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:])
    }

    enum KubeTestFailure: Error { case notAResponse(String) }

    static func names(_ list: [String: Any]) -> [String] {
        ((list["items"] as? [[String: Any]]) ?? []).compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String }
    }

    @Test("label and field selectors: equality, inequality, set membership, existence")
    func selectors() throws {
        let cluster = try Self.cluster()
        let (_, reviews) = try Self.get(cluster, "/api/v1/pods?labelSelector=app%3Dreviews")
        #expect(Self.names(reviews).count == 3)
        let (_, some) = try Self.get(cluster, "/api/v1/pods?labelSelector=app%3Dreviews,version%20in%20(v1,v3)")
        #expect(Self.names(some).count == 2)
        let (_, notReviews) = try Self.get(cluster, "/api/v1/namespaces/default/pods?labelSelector=app!%3Dreviews,version")
        #expect(Self.names(notReviews).allSatisfy { !$0.hasPrefix("reviews") } && !Self.names(notReviews).isEmpty)
        let (_, istiod) = try Self.get(cluster, "/api/v1/pods?labelSelector=app%3Distiod&fieldSelector=status.phase%3DRunning")
        #expect(Self.names(istiod).count == 1)
        let (status, bad) = try Self.get(cluster, "/api/v1/pods?fieldSelector=spec.unknown%3Dx")
        #expect(status == 400)
        #expect((bad["message"] as? String)?.contains("field label not supported") == true)
    }

    @Test("limit and continue page through every pod once, in order; a continue token from before a compaction is 410")
    func pagination() throws {
        let cluster = try Self.cluster(services: 40)
        let (_, all) = try Self.get(cluster, "/api/v1/pods")
        var seen: [String] = []
        var token: String?
        var pages = 0
        repeat {
            let uri = "/api/v1/pods?limit=25" + (token.map { "&continue=\($0)" } ?? "")
            let (status, page) = try Self.get(cluster, uri)
            #expect(status == 200)
            seen += Self.names(page)
            token = (page["metadata"] as? [String: Any])?["continue"] as? String
            pages += 1
        } while token != nil && pages < 100
        #expect(seen == Self.names(all))
        #expect(pages == (Self.names(all).count + 24) / 25)
        let (_, first) = try Self.get(cluster, "/api/v1/pods?limit=5")
        let stale = try #require((first["metadata"] as? [String: Any])?["continue"] as? String)
        cluster.compact()
        let (status, expired) = try Self.get(cluster, "/api/v1/pods?limit=5&continue=\(stale)")
        #expect(status == 410)
        #expect(expired["reason"] as? String == "Expired")
    }

    @Test("403 is a Status naming the user, verb and resource; 404 for unknown pods and resources")
    func forbiddenAndMissing() throws {
        let cluster = try Self.cluster()
        let pod = cluster.simulator.topology.proxies[1]
        let (status, body) = try Self.get(cluster, "/api/v1/namespaces/\(pod.namespace)/pods/\(pod.podName):15090/proxy/stats/prometheus", as: .simView)
        #expect(status == 403)
        #expect(body["kind"] as? String == "Status" && body["reason"] as? String == "Forbidden" && body["code"] as? Int == 403)
        #expect((body["message"] as? String)?.contains("User \"sim-view-user\" cannot get resource \"pods/proxy\"") == true)
        let (missing, _) = try Self.get(cluster, "/api/v1/namespaces/default/pods/nope")
        #expect(missing == 404)
        let (unknown, _) = try Self.get(cluster, "/apis/apps/v1/deployments")
        #expect(unknown == 404)
    }

    @Test("server-side tables: pods print READY counting native sidecars, and the metadata kubectl needs for -A")
    func podTable() throws {
        let cluster = try Self.cluster()
        let (_, table) = try Self.get(cluster, "/api/v1/pods", accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
        #expect(table["kind"] as? String == "Table")
        let columns = ((table["columnDefinitions"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
        #expect(columns.prefix(5) == ["Name", "Ready", "Status", "Restarts", "Age"])
        let rows = (table["rows"] as? [[String: Any]]) ?? []
        #expect(rows.count == cluster.simulator.topology.proxies.count + 1)
        let ready = rows.compactMap { ($0["cells"] as? [Any])?[1] as? String }
        #expect(ready.filter { $0 == "2/2" }.count == cluster.simulator.topology.proxies.filter { $0.type == "sidecar" }.count)
        #expect(rows.allSatisfy { (($0["object"] as? [String: Any])?["metadata"] as? [String: Any])?["namespace"] is String })
        #expect(KubeTable.age("2026-01-01T00:00:00Z", now: ISO8601DateFormatter().date(from: "2026-01-01T05:03:00Z")!) == "5h3m")
        #expect(KubeTable.age("2026-01-01T00:00:00Z", now: ISO8601DateFormatter().date(from: "2026-01-04T02:00:00Z")!) == "3d2h")
    }

    @Test("SelfSubjectAccessReview in protobuf (as kubectl auth can-i sends it) and JSON")
    func accessReview() throws {
        // runtime.Unknown{typeMeta{apiVersion, kind}, raw: SelfSubjectAccessReview{spec{resourceAttributes{namespace, verb, resource, subresource}}}}
        func field(_ number: UInt8, _ bytes: [UInt8]) -> [UInt8] { [number << 3 | 2, UInt8(bytes.count)] + bytes }
        func text(_ number: UInt8, _ value: String) -> [UInt8] { field(number, Array(value.utf8)) }
        let attributes = text(1, "istio-system") + text(2, "create") + text(5, "pods") + text(6, "portforward")
        let review = field(1, []) + field(2, field(1, attributes))
        let envelope = field(1, text(1, "authorization.k8s.io/v1") + text(2, "SelfSubjectAccessReview")) + field(2, review)
        let question = try #require(KubeAccessQuestion.decode([0x6B, 0x38, 0x73, 0x00] + envelope, contentType: "application/vnd.kubernetes.protobuf"))
        #expect(question == KubeAccessQuestion(namespace: "istio-system", verb: "create", group: "", resource: "pods", subresource: "portforward"))
        let json = #"{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"verb":"get","resource":"pods","subresource":"proxy"}}}"#
        let fromJSON = try #require(KubeAccessQuestion.decode(Array(json.utf8), contentType: "application/json"))
        #expect(fromJSON.subresource == "proxy" && fromJSON.verb == "get")
        #expect(KubeSimContext.simMetrics.rights.allows(verb: "get", resource: "pods", subresource: "proxy", namespace: nil))
        #expect(!KubeSimContext.simMetrics.rights.allows(verb: "create", resource: "pods", subresource: "portforward", namespace: nil))
        #expect(!KubeSimContext.simView.rights.allows(verb: "get", resource: "pods", subresource: "proxy", namespace: nil))
        #expect(KubeAccessQuestion.decode([0x6B, 0x38, 0x73, 0x00, 0x0A, 0x7F], contentType: "application/vnd.kubernetes.protobuf") == nil)
    }

    @Test("a pod that goes away is DELETED on a watch and ADDED when it returns; a watch from before a compaction gets nothing (410)")
    func watchEvents() throws {
        let cluster = try Self.cluster()
        let events = WatchLog()
        let start = cluster.resourceVersion
        let id = try #require(cluster.watch(after: start, KubeCluster.Watcher(wants: { _ in true }, send: { events.append($0) })))
        cluster.simulator.mutate { $0.proxies[2].present = false }
        _ = cluster.refresh()
        cluster.simulator.mutate { $0.proxies[2].present = true }
        _ = cluster.refresh()
        #expect(events.types == ["DELETED", "ADDED"])
        let name = cluster.simulator.topology.proxies[2].podName
        #expect(events.names == [name, name])
        cluster.stopWatching(id)
        cluster.compact()
        #expect(cluster.watch(after: start, KubeCluster.Watcher(wants: { _ in true }, send: { _ in })) == nil)
    }

    @Test("API paths: core and group resources, namespaced and cluster-wide, pod proxy targets")
    func paths() {
        #expect(KubePath("/api/v1/pods") == KubePath(group: "", version: "v1", resource: "pods"))
        let proxy = KubePath("/api/v1/namespaces/default/pods/https:web-1:15020/proxy/stats/prometheus")
        #expect(proxy?.subresource == "proxy" && proxy?.rest == "/stats/prometheus" && proxy?.proxyTarget?.name == "web-1" && proxy?.proxyTarget?.port == 15020)
        #expect(KubePath("/apis/networking.istio.io/v1/namespaces/x/virtualservices")?.namespace == "x")
        #expect(KubePath("/api/v1/namespaces/istio-system")?.name == "istio-system")
        #expect(KubePath("/healthz") == nil)
    }
}

/// Events a test watch received, in order.
final class WatchLog: @unchecked Sendable {
    // Safe: appended under the cluster's lock, read after the writes returned.
    private var events: [KubeWatchEvent] = []
    private let lock = NSLock()

    func append(_ event: KubeWatchEvent) { lock.withLock { events.append(event) } }
    var types: [String] { lock.withLock { events.map(\.type) } }
    var names: [String] { lock.withLock { events.compactMap { $0.object["metadata"]?["name"]?.stringValue } } }
}
