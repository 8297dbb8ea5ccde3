import Foundation
import MeshModel
import Synchronization

/// The running simulated mesh: one `SimulatorState` behind a lock, advanced with wall time,
/// answered by istiod's router and each proxy's face (`ProxyFace`).
public final class MeshSimulator: Sendable {
    public let options: SimOptions
    private let state: Mutex<SimulatorState>
    private let requestLog: RequestLog?
    /// Each proxy's mesh (fixed at start), to route its requests without taking the lock.
    private let proxyMeshes: [SimMesh]
    /// JSON subtrees shared across proxies' responses (clusters, listeners, route tables).
    let renderCache = RenderCache()

    /// Wall-clock start and simulated start, for `timeScale`.
    private let wallStart: Date
    private let simulatedStart: Date
    /// Which proxies misbehave, and how, while faults are on (`SimOptions.faults`).
    public let faultAssignments: [Int: FaultKind]
    /// The mesh of proxy `index`'s pod (fixed at start).
    func mesh(ofProxy index: Int) -> SimMesh { proxyMeshes[index] }

    /// Turns faults on or off regardless of the schedule (tests end a fault this way).
    private let faultOverride = Mutex<Bool?>(nil)

    public init(options: SimOptions, now: Date = Date()) throws {
        self.options = options
        wallStart = Date()
        simulatedStart = now
        let initial = try SimulatorState(options: options, now: now)
        proxyMeshes = initial.topology.proxies.map { initial.topology.mesh(ofProxy: $0.index) }
        state = Mutex(initial)
        requestLog = try options.requestLogPath.map { try RequestLog(path: $0) }
        faultAssignments = FaultSpec.assign(options.faults, proxyCount: initial.topology.proxies.count, seed: options.seed)
    }

    /// The fault a proxy's admin API shows now, if any.
    public func fault(forProxy index: Int) -> FaultKind? {
        guard let kind = faultAssignments[index] else { return nil }
        return faultsActive ? kind : nil
    }

    /// Whether the configured faults are on: the override if set, else the `faultsAt`/`faultsFor` schedule.
    public var faultsActive: Bool {
        if let forced = faultOverride.withLock({ $0 }) { return forced }
        let offset = Date().timeIntervalSince(wallStart)
        return offset >= options.faultsAt && (options.faultsFor.map { offset < options.faultsAt + $0 } ?? true)
    }

    /// Forces the faults on (`true`), off (`false`), or back to their schedule (`nil`).
    public func setFaultsActive(_ active: Bool?) {
        faultOverride.withLock { $0 = active }
    }

    /// Simulated now: wall time, sped up by `timeScale`.
    public func now() -> Date {
        options.timeScale == 1 ? Date() : simulatedStart.addingTimeInterval(Date().timeIntervalSince(wallStart) * options.timeScale)
    }

    /// Reads the state after bringing it up to date.
    public func read<T>(_ body: (SimulatorState) throws -> T) rethrows -> T {
        try state.withLock { state in
            state.advance(to: self.now())
            return try body(state)
        }
    }

    /// Changes the state (admin actions), after bringing it up to date.
    public func mutate<T>(_ body: (inout SimulatorState) throws -> T) rethrows -> T {
        try state.withLock { state in
            state.advance(to: self.now())
            return try body(&state)
        }
    }

    /// Advances time and hands back journal lines written since the last call.
    public func tick(now: Date? = nil) -> [String] {
        let now = now ?? self.now()
        return state.withLock { state in
            state.advance(to: now)
            let lines = state.journal
            state.journal.removeAll()
            return lines
        }
    }

    /// `tables: false` leaves out the cluster, member and listener tables (see
    /// `ProxyContext.derive`) for answers that do not use them.
    func context(forProxy index: Int, tables: Bool = true) -> ProxyContext {
        var context = read { ProxyContext(state: $0, proxy: index, now: now(), cache: renderCache, derive: false) }
        if tables { context.derive() }
        return context
    }

    /// What istiod intends a proxy to have (the newest routing), for `/debug/config_dump`.
    func intendedContext(forProxyID id: String) -> ProxyContext? {
        var context = read { state -> ProxyContext? in
            guard let proxy = state.topology.proxies.first(where: { $0.id == id }), state.proxies[proxy.index].present else { return nil }
            return ProxyContext(state: state, proxy: proxy.index, now: now(), intended: true, cache: renderCache, derive: false)
        }
        context?.derive()
        return context
    }

    /// Routes a request that arrived at `request.localAddress`.
    public func respond(to request: SimRequest, role: ListenerRole) -> SimResponse {
        requestLog?.append(request)
        switch role {
        case .istiod: return IstiodRouter.respond(request, simulator: self)
        case .istiodPodIP:
            var remote = request
            remote.remoteIsLoopback = false
            return IstiodRouter.respond(remote, simulator: self)
        case let .pod(pod, port, fromLocalhost):
            if case let .proxy(index) = pod, !read({ $0.proxies[index].present }) { return .text(503, "pod is gone\n") }
            return KubePodPorts.respond(request, pod: pod, port: port, fromLocalhost: fromLocalhost, simulator: self)
        case let .proxy(index):
            // A request that slipped in while the proxy went away is refused like a dead socket would be.
            guard read({ $0.proxies[index].present }) else { return .text(503, "proxy is gone\n") }
            return proxyMeshes[index].face.respond(request, proxy: index, simulator: self)
        case let .ztunnel(index):
            return ZtunnelRouter.respond(request, ztunnel: index, simulator: self)
        }
    }

    /// Which proxies should be listening now.
    public var presentProxies: [Bool] { read { $0.proxies.map(\.present) } }

    public var topology: SimTopology { read { $0.topology } }
}

/// Who a listening socket belongs to.
public enum ListenerRole: Sendable, Equatable {
    case istiod
    /// istiod's :15014 on its pod IP in a simulated cluster: callers are not local, so they
    /// need a token (`sim --kube`).
    case istiodPodIP
    case proxy(Int)
    /// A ztunnel's admin and metrics (one listener in the direct simulation).
    case ztunnel(Int)
    /// A pod port of the simulated cluster, reached through a port-forward (from the pod's
    /// localhost) or the API server's pod proxy (from outside), see `KubePodPorts`.
    case pod(KubeSimPod, port: Int, fromLocalhost: Bool)

    /// The proxy whose pod answers, if a proxy's (its faults and presence apply).
    var proxyIndex: Int? {
        switch self {
        case let .proxy(index), let .pod(.proxy(index), _, _): index
        default: nil
        }
    }
}

/// `--log-requests FILE`: one line per request, `<unix-time> <method> <host:port> <path>`.
final class RequestLog: Sendable {
    private let handle: Mutex<FileHandle>

    init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw SimError.invalidOption("--log-requests: cannot create \(path)")
            }
        }
        guard let file = FileHandle(forWritingAtPath: path) else {
            throw SimError.invalidOption("--log-requests: cannot open \(path)")
        }
        file.seekToEndOfFile()
        handle = Mutex(file)
    }

    func append(_ request: SimRequest) {
        let line = String(format: "%.3f", Date().timeIntervalSince1970) + " \(request.method) \(request.localAddress) \(request.uri)\n"
        handle.withLock { $0.write(Data(line.utf8)) }
    }
}
