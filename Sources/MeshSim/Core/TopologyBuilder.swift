import Foundation

/// Assembles a `SimTopology` service by service: assigns VIPs, pod names, pod IPs and the
/// loopback admin addresses. Shared by the Bookinfo and generated meshes.
struct TopologyBuilder {
    var random: SimRandom
    let adminBase: UInt32
    var services: [SimService] = []
    var workloads: [SimWorkload] = []
    var proxies: [SimProxy] = []
    var edges: [SimEdge] = []

    init(seed: UInt64, adminBase: String) throws {
        random = SimRandom(seed: seed)
        guard let base = IPv4.parse(adminBase), base >> 24 == 127 else {
            throw SimError.invalidOption("--admin-address-base must be a 127.x.y.z address, got \(adminBase)")
        }
        self.adminBase = base
    }

    /// Adds a service with one workload per version and `replicas[i]` pods for version i.
    @discardableResult
    mutating func addService(
        name: String, namespace: String, port: Int = 9080, versions: [String], replicas: [Int],
        serviceAccount: String? = nil, isGateway: Bool = false, externalRPS: Double = 0
    ) -> Int {
        let index = services.count
        let vip = "10.96.\(index / 250).\(index % 250 + 2)"
        var service = SimService(
            index: index, name: name, namespace: namespace, port: port, vip: vip,
            serviceAccount: serviceAccount ?? (isGateway ? "\(name)-service-account" : "\(namespace == "default" ? "bookinfo-" : "")\(name)"),
            workloads: [], isGateway: isGateway, externalRPS: externalRPS)
        for (versionIndex, version) in versions.enumerated() {
            let workloadIndex = workloads.count
            let workloadName = isGateway ? name : "\(name)-\(version)"
            var workload = SimWorkload(index: workloadIndex, service: index, name: workloadName, version: version, proxies: [])
            let templateHash = podHash(length: 10, alphabet: "bcdf2456789")
            for _ in 0..<max(1, replicas[min(versionIndex, replicas.count - 1)]) {
                let proxyIndex = proxies.count
                let podName = "\(workloadName)-\(templateHash)-\(podHash(length: 5, alphabet: "bcdfghjklmnpqrstvwxz2456789"))"
                proxies.append(SimProxy(
                    index: proxyIndex, workload: workloadIndex, service: index, podName: podName,
                    namespace: namespace, podIP: "10.244.\(proxyIndex / 250).\(proxyIndex % 250 + 2)",
                    adminHost: IPv4.format(adminAddress(proxyIndex)), type: isGateway ? "router" : "sidecar"))
                workload.proxies.append(proxyIndex)
            }
            workloads.append(workload)
            service.workloads.append(workloadIndex)
        }
        services.append(service)
        return index
    }

    mutating func addEdge(from source: Int, to destination: Int, rps: Double, serverErrorRate: Double = 0.002,
                          clientErrorRate: Double = 0.001, medianMs: Double, sigma: Double = 0.6,
                          sourceVersions: Set<String>? = nil) {
        edges.append(SimEdge(index: edges.count, source: source, destination: destination, rps: rps,
                             serverErrorRate: serverErrorRate, clientErrorRate: clientErrorRate,
                             latencyMedianMs: medianMs, latencySigma: sigma, sourceVersions: sourceVersions))
    }

    /// The admin address of proxy `index`: counts up from the base, skipping .0 and .255 so
    /// every address is a plain host address.
    func adminAddress(_ index: Int) -> UInt32 { Self.address(base: adminBase, index: index) }

    /// The `index`-th plain host address from `base` on.
    static func address(base: UInt32, index: Int) -> UInt32 {
        var address = base
        var remaining = index
        while remaining > 0 || address & 0xFF == 0 || address & 0xFF == 255 {
            address += 1
            if address & 0xFF != 0, address & 0xFF != 255 { remaining -= 1 }
        }
        return address
    }

    private mutating func podHash(length: Int, alphabet: String) -> String {
        let chars = Array(alphabet)
        return String((0..<length).map { _ in chars[Int(random.next() % UInt64(chars.count))] })
    }
}

/// Dotted-quad helpers for the loopback admin addresses.
enum IPv4 {
    static func parse(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".").compactMap { UInt32($0) }
        guard parts.count == 4, parts.allSatisfy({ $0 < 256 }) else { return nil }
        return parts.reduce(0) { $0 << 8 | $1 }
    }

    static func format(_ address: UInt32) -> String {
        "\(address >> 24).\(address >> 16 & 0xFF).\(address >> 8 & 0xFF).\(address & 0xFF)"
    }
}

/// Errors the simulator reports to its caller (bad options, a scenario file that does not parse,
/// an address that cannot be bound).
public enum SimError: Error, CustomStringConvertible, Equatable {
    case invalidOption(String)
    case invalidScenario(String)
    case bindFailed(String)

    public var description: String {
        switch self {
        case let .invalidOption(text): "invalid option: \(text)"
        case let .invalidScenario(text): "invalid scenario: \(text)"
        case let .bindFailed(text): "cannot listen: \(text)"
        }
    }
}
