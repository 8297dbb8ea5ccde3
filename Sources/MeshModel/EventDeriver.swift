import Foundation

/// Derives the timeline from two consecutive snapshots (product.md §4.7): health transitions,
/// sync going stale and recovering, certificate thresholds crossed and rotations, sources failing
/// and recovering, configuration changes with their diffs. Pure, so the recorder, the console
/// and tests derive exactly the same events.
public enum EventDeriver {
    public static func events(from previous: MeshSnapshot?, to next: MeshSnapshot) -> [MeshEvent] {
        guard let previous else { return [] }
        let at = next.generatedAt
        return services(previous, next, at) + proxies(previous, next, at) + certificates(previous, next, at)
            + sources(previous, next, at) + configs(previous, next, at)
    }

    static func services(_ previous: MeshSnapshot, _ next: MeshSnapshot, _ at: Date) -> [MeshEvent] {
        // A snapshot without rates (the first poll) has no health to change from.
        guard previous.services.contains(where: { $0.traffic.rps > 0 }) else { return [] }
        let before = Dictionary(previous.services.map { ($0.id, $0.health.health) }, uniquingKeysWith: { a, _ in a })
        return next.services.compactMap { service in
            guard let old = before[service.id], old != service.health.health else { return nil }
            let new = service.health.health
            // Healthy ↔ idle is traffic stopping or starting, not a health problem.
            if Set([old, new]).isSubset(of: [.healthy, .idle]) { return nil }
            let severity: Severity = new >= .failure ? .critical : (new >= .degraded ? .warning : .info)
            return MeshEvent(at: at, kind: .health, subject: "service \(service.id)",
                             message: "\(old.rawValue) → \(new.rawValue): \(service.health.reason)", severity: severity)
        }
    }

    static func proxies(_ previous: MeshSnapshot, _ next: MeshSnapshot, _ at: Date) -> [MeshEvent] {
        let wasDegraded = Set(previous.proxies.filter { $0.health.health >= .degraded }.map(\.id))
        let known = Set(previous.proxies.map(\.id))
        let states = Dictionary(previous.proxies.compactMap { proxy in proxy.serverState.map { (proxy.id, $0) } }, uniquingKeysWith: { a, _ in a })
        var out: [MeshEvent] = []
        for proxy in next.proxies where known.contains(proxy.id) {
            // Its server state as Envoy says it (a drain, a restart); not answering is the source's event.
            if let state = proxy.serverState, let old = states[proxy.id], old != state {
                out.append(MeshEvent(at: at, kind: .proxyState, subject: "proxy \(proxy.id)", message: "state \(old) → \(state)",
                                     severity: state == "LIVE" ? .info : .warning))
            }
            let degraded = proxy.health.health >= .degraded
            if degraded, !wasDegraded.contains(proxy.id) {
                out.append(MeshEvent(at: at, kind: .sync, subject: "proxy \(proxy.id)", message: proxy.health.reason, severity: .warning))
            } else if !degraded, wasDegraded.contains(proxy.id) {
                out.append(MeshEvent(at: at, kind: .sync, subject: "proxy \(proxy.id)", message: "recovered: \(proxy.health.reason)", severity: .info))
            }
        }
        return out
    }

    static func certificates(_ previous: MeshSnapshot, _ next: MeshSnapshot, _ at: Date) -> [MeshEvent] {
        let before = Dictionary(previous.certificates.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let serialsBySpiffe = Dictionary(grouping: previous.certificates.filter { $0.spiffeID != nil }, by: { $0.spiffeID! })
        var out: [MeshEvent] = []
        for certificate in next.certificates {
            let subject = "\(certificate.kind.rawValue) \(certificate.label)" + (certificate.spiffeID.map { " \($0)" } ?? "")
            if let old = before[certificate.id] {
                let level = certificate.health.health, oldLevel = old.health.health
                guard level != oldLevel, level >= .warning || oldLevel >= .warning else { continue }
                let severity: Severity = level == .critical ? .critical : (level >= .warning ? .warning : .info)
                out.append(MeshEvent(at: at, kind: .certificate, subject: subject,
                                     message: "\(oldLevel.rawValue) → \(level.rawValue): \(certificate.health.reason)", severity: severity))
            } else if let spiffe = certificate.spiffeID, certificate.kind == .leaf, let replaced = Self.replaced(by: certificate, among: serialsBySpiffe[spiffe] ?? []) {
                // Pods of one workload share an identity: the one replaced is the one this
                // certificate's proxies held (the first with that identity named another pod's).
                let proxies = certificate.proxyIDs.isEmpty ? "" : " on " + certificate.proxyIDs.prefix(3).joined(separator: ", ") + (certificate.proxyIDs.count > 3 ? ", …" : "")
                out.append(MeshEvent(at: at, kind: .certificate, subject: subject,
                                     message: "rotated\(proxies): replaces \(replaced.serial), valid until \(ISO8601DateFormatter().string(from: certificate.notAfter))",
                                     severity: .info))
            }
        }
        return out
    }

    /// The earlier certificate of the same identity that `certificate` replaced: the one its
    /// proxies held; with no proxy in common, the only one there was (else none can be named).
    static func replaced(by certificate: Certificate, among earlier: [Certificate]) -> Certificate? {
        let holders = Set(certificate.proxyIDs)
        if let held = earlier.first(where: { !holders.isDisjoint(with: $0.proxyIDs) }) { return held }
        return earlier.count == 1 ? earlier.first : nil
    }

    static func sources(_ previous: MeshSnapshot, _ next: MeshSnapshot, _ at: Date) -> [MeshEvent] {
        let before = Dictionary(previous.sources.map { ("\($0.name) \($0.url)", $0.ok) }, uniquingKeysWith: { a, _ in a })
        return next.sources.compactMap { source in
            guard let wasOK = before["\(source.name) \(source.url)"], wasOK != source.ok else { return nil }
            return source.ok
                ? MeshEvent(at: at, kind: .source, subject: source.name, message: "recovered (\(source.url))", severity: .info)
                : MeshEvent(at: at, kind: .source, subject: source.name, message: source.error.map(FailureText.causeFirst) ?? "failing", severity: .warning)
        }
    }

    /// Istio objects: one event per added, changed or removed object. Proxy route and cluster
    /// sets: one event per distinct change, naming how many proxies made it (a weight change
    /// reaches every proxy at once). Documents seen for the first time on a proxy are not changes.
    static func configs(_ previous: MeshSnapshot, _ next: MeshSnapshot, _ at: Date) -> [MeshEvent] {
        let before = Dictionary(previous.configs.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let isProxyKind = { (kind: String) in kind == ConfigDocument.proxyRoutes || kind == ConfigDocument.proxyClusters }
        let previousHadIstio = previous.configs.contains { !isProxyKind($0.kind) }
        var out: [MeshEvent] = []
        var proxyChanges: [String: (old: ConfigDocument, new: ConfigDocument, proxies: [String])] = [:]
        var changeOrder: [String] = []
        for document in next.configs {
            let old = before[document.id]
            if isProxyKind(document.kind) {
                guard let old, old.hash != document.hash else { continue }
                let key = "\(document.kind) \(old.hash) \(document.hash)"
                if proxyChanges[key] == nil { changeOrder.append(key); proxyChanges[key] = (old, document, []) }
                proxyChanges[key]!.proxies.append("\(document.name).\(document.namespace)")
                continue
            }
            if let old {
                guard old.hash != document.hash else { continue }
                out.append(MeshEvent(at: at, kind: .config, subject: "\(document.kind) \(document.namespace)/\(document.name)",
                                     message: "changed", severity: .info,
                                     diff: UnifiedDiff.make(old: old.text, new: document.text, oldLabel: "\(document.id)@\(old.hash.prefix(12))",
                                                            newLabel: "\(document.id)@\(document.hash.prefix(12))")))
            } else if previousHadIstio {
                out.append(MeshEvent(at: at, kind: .config, subject: "\(document.kind) \(document.namespace)/\(document.name)",
                                     message: "added", severity: .info,
                                     diff: UnifiedDiff.make(old: "", new: document.text, oldLabel: "/dev/null", newLabel: "\(document.id)@\(document.hash.prefix(12))")))
            }
        }
        let present = Set(next.configs.map(\.id))
        if next.configs.contains(where: { !isProxyKind($0.kind) }) {
            for old in previous.configs where !isProxyKind(old.kind) && !present.contains(old.id) {
                out.append(MeshEvent(at: at, kind: .config, subject: "\(old.kind) \(old.namespace)/\(old.name)", message: "removed", severity: .info,
                                     diff: UnifiedDiff.make(old: old.text, new: "", oldLabel: "\(old.id)@\(old.hash.prefix(12))", newLabel: "/dev/null")))
            }
        }
        for key in changeOrder {
            let change = proxyChanges[key]!
            let names = change.proxies.sorted()
            let shown = names.prefix(3).joined(separator: ", ") + (names.count > 3 ? ", …" : "")
            let what = change.new.kind == ConfigDocument.proxyRoutes ? "routes" : "clusters"
            out.append(MeshEvent(at: at, kind: .config, subject: "\(change.new.kind) on \(names.count) prox\(names.count == 1 ? "y" : "ies")",
                                 message: "\(what) changed on \(shown)", severity: .info,
                                 diff: UnifiedDiff.make(old: change.old.text, new: change.new.text, oldLabel: "\(what)@\(change.old.hash.prefix(12))",
                                                        newLabel: "\(what)@\(change.new.hash.prefix(12))")))
        }
        return out
    }
}
