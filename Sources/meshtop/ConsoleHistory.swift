import Foundation
import MeshModel
import MeshStore
import MeshTerminal
import MeshUI

/// The console's side of the history store: records each polled snapshot (when this process
/// holds the file's writer lock), answers time travel and chart requests, and posts the TREND
/// series after every poll. Runs off the curses thread; answers arrive through the inbox.
actor ConsoleHistory {
    let store: HistoryStore
    let writer: HistoryWriter?
    let inbox: Inbox
    let thresholds: HealthThresholds
    /// Holds the file for this process while it records.
    private let lock: WriterLock?
    /// The chart the user looks at, refreshed after every poll.
    private var chart: (service: String, range: ChartRange)?
    private var baselineSeen = false
    /// The stored poll the console shows (charts end there), nil when live.
    private var position: StoredPoll?
    static let trendMinutes = 10

    /// Opens the store; records into it unless it is opened read-only or another process
    /// already records to the file.
    init(_ setting: ConsoleSession.HistorySetting, inbox: Inbox, thresholds: HealthThresholds) throws {
        let path = setting.path
        store = try HistoryStore(path: path, readOnly: setting.readOnly)
        lock = path == ":memory:" || setting.readOnly ? nil : WriterLock(databasePath: path)
        writer = !setting.readOnly && (path == ":memory:" || lock != nil) ? try store.writer(retention: setting.retention) : nil
        self.inbox = inbox
        self.thresholds = thresholds
    }

    var recording: Bool { writer != nil }

    /// Events of the last day for the Events view, then a warm-up that decodes the stored
    /// states once, so that the first time-travel step is as fast as the next ones.
    func loadEvents() {
        if let events = try? store.reader.events(from: Date().addingTimeInterval(-86400), to: Date(), limit: 1000), !events.isEmpty {
            inbox.post(.storedEvents(events))
        }
        let reader = store.reader
        Task.detached(priority: .background) {
            if let latest = try? reader.latestPoll() { _ = try? reader.snapshot(at: latest) }
        }
    }

    /// After a poll: store it (the first one only sets the rate baseline), then refresh the
    /// TREND series and the open chart.
    func polled(_ snapshot: MeshSnapshot) async {
        if let writer, baselineSeen {
            do { try await writer.record(snapshot) } catch { inbox.post(.pollFailed("history store \(store.path): \(error)")) }
        }
        baselineSeen = true
        if let trends = try? store.reader.trends(minutes: Self.trendMinutes, endingAt: snapshot.generatedAt) { inbox.post(.trends(trends, at: nil)) }
        if let chart { loadCharts(service: chart.service, range: chart.range) }
    }

    /// Stores an event that happened outside a poll (an operator action).
    func record(_ event: MeshEvent) async {
        try? await writer?.record(event: event)
    }

    func handle(_ effect: Effect) {
        switch effect {
        case let .travel(request): travel(request)
        case let .loadCharts(service, range):
            chart = (service, range)
            loadCharts(service: service, range: range)
        default: break
        }
    }

    func travel(_ request: TravelRequest) {
        let reader = store.reader
        do {
            let next: StoredPoll?
            switch request {
            case .back:
                next = try position.map { try reader.poll(before: $0.id) } ?? reader.latestPoll()
                guard next != nil else {
                    inbox.post(.history(.unavailable(position == nil ? "nothing stored yet" : "oldest stored poll")))
                    return
                }
            case .forward:
                next = try position.flatMap { try reader.poll(after: $0.id) }
            case let .to(date):
                next = try reader.poll(atOrBefore: date)
                guard next != nil else {
                    let oldest = try reader.oldestPoll().map { Clock.hms($0.at) }
                    inbox.post(.history(.unavailable(oldest.map { "nothing stored that early (oldest \($0))" } ?? "nothing stored yet")))
                    return
                }
            case .live:
                next = nil
            }
            position = next
            guard let next else {
                if request != .live { inbox.post(.history(.live)) }
                return
            }
            // The frame first (it renders at once), its TREND series right after.
            let position = next
            inbox.post(.history(.frame(position, try reader.snapshot(at: next, thresholds: thresholds))))
            inbox.post(.trends(try reader.trends(minutes: Self.trendMinutes, endingAt: next.at), at: position))
        } catch {
            inbox.post(.history(.unavailable("history store \(store.path): \(error)")))
        }
    }

    func loadCharts(service: String, range: ChartRange) {
        let end = position?.at ?? Date()
        let points = (try? store.reader.chart(service: service, from: end.addingTimeInterval(-range.seconds), to: end,
                                               resolution: range == .quarterHour ? .raw : .minute)) ?? []
        inbox.post(.charts(ServiceCharts(service: service, range: range, rps: points.map(\.traffic.rps),
                                         success: points.map(\.traffic.successRate), p99: points.map(\.traffic.latencyMs.p99))))
    }
}
