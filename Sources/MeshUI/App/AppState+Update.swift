import Foundation
import MeshModel

extension AppState {
    /// Applies one event and returns the effects for the host (the only I/O the app asks for).
    public mutating func update(_ event: AppEvent) -> [Effect] {
        switch event {
        case let .tick(date):
            now = date
            if let toast, toast.until <= date { self.toast = nil }
            rotateIfDue()
            return []
        case let .resize(width, height):
            self.width = width
            self.height = height
            clampSelections()
            return []
        case let .snapshot(next):
            // The timeline is a log: it keeps growing while the view is paused or in the past.
            events.append(contentsOf: next.events)
            if events.count > 1000 { events.removeFirst(events.count - 1000) }
            if travel != nil {
                liveSnapshot = next
                return []
            }
            guard !paused else { return [] }
            // The first derived snapshot has no rates yet (rates need two polls): not a data point.
            snapshot = next
            now = max(now, next.generatedAt)
            // A snapshot in which no source answered is followed by its `.pollFailed`: the
            // failure goes on (one event for it, not one per poll) until a source answers again.
            if next.sources.isEmpty || next.sources.contains(where: \.ok) { lastPollError = nil }
            clampSelections()
            return []
        case let .pollFailed(message):
            if lastPollError == nil {
                events.append(MeshEvent(at: now, kind: .source, subject: "poll", message: FailureText.causeFirst(message), severity: .warning))
            }
            lastPollError = message
            return []
        case let .key(key):
            return handle(key)
        case let .history(answer):
            return arrive(answer)
        case let .trends(series, position):
            if travel == position { trends = series }
            return []
        case let .actionResult(event):
            events.append(event)
            showToast("\(event.subject): \(event.message)", seconds: 5)
            return []
        case let .notice(text):
            showToast(text, seconds: 5)
            return []
        case let .storedEvents(stored):
            events = Array((stored + events).suffix(1000))
            return []
        case let .charts(charts):
            if detail?.key == charts.service { self.charts = charts }
            return []
        }
    }

    /// Applies the store's answer to `[`, `]` or `:at`.
    mutating func arrive(_ answer: HistoryAnswer) -> [Effect] {
        switch answer {
        case let .frame(position, stored):
            if travel == nil { liveSnapshot = snapshot }
            travel = position
            snapshot = stored
            trends = [:]
            clampSelections()
        case .live:
            returnToLive()
        case let .unavailable(reason):
            showToast(reason)
        }
        return []
    }

    /// Dashboard rotation: the next view every `rotateEvery` (not while a detail is open).
    mutating func rotateIfDue() {
        guard dashboard, let every = rotateEvery, detail == nil, overlay == nil else { return }
        guard let last = lastRotation else {
            lastRotation = now
            return
        }
        if now.timeIntervalSince(last) >= every {
            lastRotation = now
            switchView(by: 1)
        }
    }

    mutating func returnToLive() {
        guard travel != nil else { return }
        travel = nil
        if let liveSnapshot { snapshot = liveSnapshot }
        liveSnapshot = nil
        showToast("live", seconds: 1.5)
        clampSelections()
    }

    /// Rows visible in the body of a table view (header, tabs and status bar excluded).
    var visibleRows: Int { max(1, height - 5) }

    /// Keeps the current view's selection and scroll inside its rows (other views are clamped
    /// when they are selected: building every view's rows on each poll cost more than a frame
    /// with thousands of proxies and certificates).
    mutating func clampSelections() {
        for view in [view] where view != .overview {
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
