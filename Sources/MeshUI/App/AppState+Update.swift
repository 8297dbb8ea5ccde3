import Foundation
import MeshModel

extension AppState {
    /// Applies one event and returns the effects for the host (the only I/O the app asks for).
    public mutating func update(_ event: AppEvent) -> [Effect] {
        switch event {
        case let .tick(date):
            now = date
            if let toast, toast.until <= date { self.toast = nil }
            return []
        case let .resize(width, height):
            self.width = width
            self.height = height
            clampSelections()
            return []
        case let .snapshot(next):
            guard !paused else { return [] }
            recordEvents(from: snapshot, to: next)
            // The first derived snapshot has no rates yet (rates need two polls): not a data point.
            let hasRates = next.services.contains { $0.traffic.rps > 0 }
            for service in next.services where hasRates {
                let key = "\(service.namespace)/\(service.name)"
                rpsHistory[key, default: []].append(service.traffic.rps)
                if rpsHistory[key]!.count > 120 { rpsHistory[key]!.removeFirst(rpsHistory[key]!.count - 120) }
            }
            snapshot = next
            now = max(now, next.generatedAt)
            lastPollError = nil
            clampSelections()
            return []
        case let .pollFailed(message):
            if lastPollError == nil {
                events.append(TimelineEvent(at: now, kind: "source failing", subject: "poll", message: message, severity: .warning))
            }
            lastPollError = message
            return []
        case let .key(key):
            return handle(key)
        }
    }

    /// Rows visible in the body of a table view (header, tabs and status bar excluded).
    var visibleRows: Int { max(1, height - 5) }

    mutating func clampSelections() {
        for view in ViewID.allCases where view != .overview {
            var table = self.table(view)
            let count = ViewModels.rows(self, view).count
            table.selected = max(0, min(table.selected, count - 1))
            table.offset = TableWidget.scroll(selected: table.selected, offset: min(table.offset, max(0, count - 1)), visibleRows: visibleRows)
            tables[view] = table
        }
    }

    mutating func move(by delta: Int) {
        guard view != .overview else { return }
        var table = self.table(view)
        let count = ViewModels.rows(self, view).count
        guard count > 0 else { return }
        table.selected = max(0, min(count - 1, table.selected + delta))
        table.offset = TableWidget.scroll(selected: table.selected, offset: table.offset, visibleRows: visibleRows)
        tables[view] = table
    }

    mutating func showToast(_ text: String, seconds: Double = 3) {
        toast = (text, now.addingTimeInterval(seconds))
    }

    /// Derived timeline entries: health changes of services, sync going stale and recovering,
    /// certificate findings appearing.
    mutating func recordEvents(from previous: MeshSnapshot?, to next: MeshSnapshot) {
        // Health changes against a snapshot without rates (the first poll) are not changes.
        guard let previous, previous.services.contains(where: { $0.traffic.rps > 0 }) else { return }
        let at = next.generatedAt
        let before = Dictionary(previous.services.map { ("\($0.namespace)/\($0.name)", $0.health.health) }, uniquingKeysWith: { a, _ in a })
        for service in next.services {
            let key = "\(service.namespace)/\(service.name)"
            if let old = before[key], old != service.health.health, service.health.health != .idle || old != .healthy {
                events.append(TimelineEvent(at: at, kind: "health", subject: "service \(key)",
                                            message: "\(old.rawValue) → \(service.health.health.rawValue): \(service.health.reason)",
                                            severity: service.health.health >= .failure ? .critical : (service.health.health >= .degraded ? .warning : .info)))
            }
        }
        let wasStale = Set(previous.proxies.filter { $0.health.health >= .degraded }.map(\.id))
        for proxy in next.proxies {
            let stale = proxy.health.health >= .degraded
            if stale, !wasStale.contains(proxy.id) {
                events.append(TimelineEvent(at: at, kind: "sync", subject: "proxy \(proxy.id)", message: proxy.health.reason, severity: .warning))
            } else if !stale, wasStale.contains(proxy.id) {
                events.append(TimelineEvent(at: at, kind: "sync", subject: "proxy \(proxy.id)", message: "recovered: \(proxy.health.reason)", severity: .info))
            }
        }
        let oldFindings = Set(previous.findings.filter { $0.code.hasPrefix("CERT") }.map(\.subject))
        for finding in next.findings where finding.code.hasPrefix("CERT") && !oldFindings.contains(finding.subject) {
            events.append(TimelineEvent(at: at, kind: "certificate", subject: finding.subject, message: finding.message, severity: finding.severity))
        }
        if events.count > 1000 { events.removeFirst(events.count - 1000) }
    }
}
