import Foundation
import MeshModel

extension SimulatorState {
    /// istiod pushes `types` to every connected proxy: new nonces are sent; proxies that accept
    /// pushes acknowledge them at once and apply the newest routing revision. `only` sends the
    /// push to one (re)connecting proxy without starting a new mesh-wide push.
    mutating func push(types: [XDSType], now: Date, only: Int? = nil) {
        if only == nil {
            pushCount += 1
            lastPushAt = now
        }
        var prefixBytes: [UInt8] = []
        withUnsafeBytes(of: random.next()) { prefixBytes += $0 }
        let prefix = Data(prefixBytes).base64EncodedString()
        let targets = only.map { [$0] } ?? Array(proxies.indices)
        for index in targets where proxies[index].present {
            for type in types {
                var state = proxies[index].xds[type.rawValue] ?? XDSTypeState()
                // ECDS is only sent when there are Wasm/extension configs: Istio shows NOT SENT.
                if type == .ecds || proxies[index].neverSent.contains(type.rawValue) {
                    proxies[index].xds[type.rawValue] = state
                    continue
                }
                state.sent = "\(prefix)\(random.uuid())"
                state.sentTime = now
                let rejects = type == .cds && proxies[index].rejection != nil
                if rejects {
                    state.lastError = proxies[index].rejection
                } else if !proxies[index].refusesPushes {
                    state.acked = state.sent
                    state.lastError = nil
                }
                proxies[index].xds[type.rawValue] = state
            }
            if !proxies[index].refusesPushes, types.contains(.rds) || types.contains(.cds) {
                proxies[index].appliedRevision = revisions.count
            }
        }
    }

    /// Marks `--stale`, `--not-sent` and `--xds-error` proxies, picked deterministically from the
    /// mesh's sidecars (gateways stay healthy so the entry path keeps working).
    mutating func applyConfiguredSyncProblems(now: Date) {
        var candidates = topology.proxies.filter { $0.type == "sidecar" }.map(\.index)
        var generator = random
        func pick(_ count: Int) -> [Int] {
            var chosen: [Int] = []
            while chosen.count < count, !candidates.isEmpty {
                chosen.append(candidates.remove(at: Int(generator.next() % UInt64(candidates.count))))
            }
            return chosen
        }
        for index in pick(options.staleProxies) { proxies[index].refusesPushes = true }
        for index in pick(options.notSentProxies) { proxies[index].neverSent = ["RDS"] }
        for index in pick(options.errorProxies) {
            let cluster = topology.services[topology.proxies[index].service].defaultCluster
            proxies[index].rejection = "Proto constraint validation failed (ClusterValidationError.LbPolicy: value must be one of the defined enum values): \(cluster)"
        }
        random = generator
    }

    /// The syncz row of a proxy, by xDS type.
    public func syncStatus(ofProxy index: Int) -> [XDSType: SyncStatus] {
        var out: [XDSType: SyncStatus] = [:]
        for type in XDSType.allCases {
            let state = proxies[index].xds[type.rawValue] ?? XDSTypeState()
            out[type] = SyncState.derive(sent: state.sent, acked: state.acked, lastError: state.lastError)
        }
        return out
    }
}
