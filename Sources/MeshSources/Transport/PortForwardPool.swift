import NIOCore

/// Port-forwards kept open for reuse, at most `limit` at once: each is one keep-alive HTTP
/// connection into a pod. A request takes an idle tunnel to its pod port or opens one; at the
/// limit it closes the longest-idle tunnel of another port, or waits for one to come back.
actor PortForwardPool {
    let api: KubeAPIAccess
    let limit: Int
    let timeout: TimeAmount
    let refusals: KubeRefusals
    private var idle: [PortForwardTunnel] = []
    private var busy = 0
    private var opening = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(api: KubeAPIAccess, limit: Int, timeout: TimeAmount, refusals: KubeRefusals = KubeRefusals()) {
        self.api = api
        self.refusals = refusals
        self.limit = max(1, limit)
        self.timeout = timeout
    }

    /// A pool released without `closeAll()` still closes its idle port-forwards.
    deinit {
        for tunnel in idle { tunnel.close() }
    }

    /// How many port-forwards are open or opening (for tests and the status line).
    var openCount: Int { idle.count + busy + opening }

    func send(_ request: MeshRequest, to key: PortForwardKey, limit bodyLimit: Int) async throws(SourceError) -> MeshResponse {
        let started = ContinuousClock.now
        var (tunnel, reused) = try await acquire(key)
        let answer: (status: Int, contentType: String?, body: [UInt8])
        do {
            answer = try await tunnel.exchange(request, timeout: timeout, limit: bodyLimit)
        } catch let error where error.reason == .connectionClosed && reused {
            // An idle tunnel the pod (or the API server) closed meanwhile: one fresh try.
            release(tunnel, reusable: false)
            (tunnel, reused) = try await acquire(key, fresh: true)
            do { answer = try await tunnel.exchange(request, timeout: timeout, limit: bodyLimit) } catch {
                release(tunnel, reusable: false)
                throw error
            }
        } catch {
            release(tunnel, reusable: false)
            throw error
        }
        release(tunnel, reusable: true)
        let elapsed = ContinuousClock.now - started
        let latency = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        return try DirectHTTPTransport.accept(status: answer.status, contentType: answer.contentType, body: answer.body, latencyMs: latency, for: request)
    }

    /// A tunnel to `key`, and whether it was reused (an idle one) rather than opened now.
    private func acquire(_ key: PortForwardKey, fresh: Bool = false) async throws(SourceError) -> (PortForwardTunnel, Bool) {
        while true {
            if !fresh, let index = idle.firstIndex(where: { $0.key == key && $0.isOpen }) {
                busy += 1
                return (idle.remove(at: index), true)
            }
            idle.removeAll { !$0.isOpen }
            if openCount >= limit, let oldest = idle.first {
                idle.removeFirst()
                oldest.close()
            }
            if openCount < limit { break }
            await withCheckedContinuation { waiters.append($0) }
        }
        opening += 1
        do {
            let tunnel = try await open(key)
            opening -= 1
            busy += 1
            return (tunnel, false)
        } catch {
            opening -= 1
            wakeOne()
            throw error
        }
    }

    /// Opens a port-forward with the current token; after a 401 once more with a fresh one, after
    /// a 429 once more when its `Retry-After` fits the deadline.
    private func open(_ key: PortForwardKey) async throws(SourceError) -> PortForwardTunnel {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await PortForwardTunnel.open(key, api: api, token: try await api.bearer(), timeout: timeout)
            } catch {
                switch error.reason {
                case .auth(.unauthorized) where attempt == 1:
                    await api.rejected()
                case let .auth(.unauthorized(body)):
                    throw await api.refusedAgain(MeshRequest(.GET, .portForward(namespace: key.namespace, pod: key.pod, port: key.port), "", source: "port-forward"),
                                                 body: body)
                case let .throttled(retryAfter) where attempt == 1 && retryAfter <= Double(timeout.nanoseconds) / 1e9:
                    try? await Task.sleep(for: .seconds(retryAfter))
                case .auth(.forbidden):
                    refusals.record(.portForward, namespace: key.namespace)
                    throw error
                default:
                    throw error
                }
            }
        }
    }

    private func release(_ tunnel: PortForwardTunnel, reusable: Bool) {
        busy -= 1
        if reusable, tunnel.isOpen { idle.append(tunnel) } else { tunnel.close() }
        wakeOne()
    }

    private func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    func closeAll() {
        for tunnel in idle { tunnel.close() }
        idle.removeAll()
        while !waiters.isEmpty { wakeOne() }
    }
}
