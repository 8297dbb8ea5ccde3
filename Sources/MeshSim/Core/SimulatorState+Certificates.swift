import Foundation

extension SimulatorState {
    /// Issues a new workload certificate for a proxy whose current one is `age` seconds old.
    mutating func issueLeaf(for index: Int, now: Date, age: TimeInterval, lifetime: TimeInterval? = nil) throws {
        let proxy = topology.proxies[index]
        let service = topology.services[proxy.service]
        proxies[index].leaf = try ca.issueLeaf(
            namespace: proxy.namespace, serviceAccount: service.serviceAccount,
            notBefore: now.addingTimeInterval(-age), lifetime: lifetime ?? options.certificates.leafLifetime,
            random: &random)
    }

    /// Rotates every leaf past its rotation point (Istio's agent renews at 50 % of the lifetime),
    /// except where a scenario holds rotation back.
    mutating func rotateCertificates(now: Date) {
        let policy = options.certificates
        for index in proxies.indices where proxies[index].present && !proxies[index].rotationStalled {
            guard let leaf = proxies[index].leaf else { continue }
            let rotationPoint = leaf.notBefore.addingTimeInterval(leaf.notAfter.timeIntervalSince(leaf.notBefore) * policy.rotateAt)
            if now >= rotationPoint {
                // Istio backdates notBefore a little to absorb clock skew.
                try? issueLeaf(for: index, now: now, age: 120)
                journal.append("rotated certificate of \(topology.proxies[index].id)")
            }
        }
    }

    /// Holds a workload's certificates at a chosen expiry: `left` seconds before it (negative:
    /// already expired), with rotation stalled.
    mutating func pinCertificates(workload: Int, left: TimeInterval, now: Date) {
        let lifetime = options.certificates.leafLifetime
        for index in topology.workloads[workload].proxies {
            proxies[index].rotationStalled = true
            try? issueLeaf(for: index, now: now, age: lifetime - left, lifetime: lifetime)
        }
    }
}
