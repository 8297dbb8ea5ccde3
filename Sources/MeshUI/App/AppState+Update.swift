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
            // The timeline is a log: it keeps growing while the view is paused.
            events.append(contentsOf: next.events)
            if events.count > 1000 { events.removeFirst(events.count - 1000) }
            guard !paused else { return [] }
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
                events.append(MeshEvent(at: now, kind: .source, subject: "poll", message: message, severity: .warning))
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
}
