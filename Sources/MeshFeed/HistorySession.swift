import Foundation
import MeshModel
import MeshStore
import MeshUI

/// Which history store a console or dashboard session uses: its path and retention; `readOnly`
/// for a store that another process (a recorder) writes.
public struct HistorySetting: Sendable {
    public var path: String
    public var retention: Retention
    public var readOnly: Bool

    public init(path: String, retention: Retention, readOnly: Bool = false) {
        self.path = path
        self.retention = retention
        self.readOnly = readOnly
    }
}

/// The console's side of the history store: the stored timeline at start, time travel, the open
/// service's charts and the TREND series after every poll. It records too (the feed's
/// `Recorder` over `writer`) when this process holds the file's writer lock. Every query runs on
/// the store's read queue; answers reach the console as events through `post`.
public actor HistorySession {
    public nonisolated let store: HistoryStore
    /// Present when this process records into the store.
    public nonisolated let writer: HistoryWriter?
    let post: @Sendable (AppEvent) -> Void
    let thresholds: HealthThresholds
    /// Holds the file for this process while it records.
    private let lock: WriterLock?
    private var travel = TimeTravel()
    /// The chart the user looks at, refreshed after every poll.
    private var chart: (service: String, range: ChartRange)?
    public static let trendMinutes = 10

    /// Opens the store; records into it unless it is read-only or another process already
    /// records to the file.
    public init(_ setting: HistorySetting, thresholds: HealthThresholds, post: @escaping @Sendable (AppEvent) -> Void) throws {
        let path = setting.path
        store = try HistoryStore(path: path, readOnly: setting.readOnly)
        lock = path == ":memory:" || setting.readOnly ? nil : WriterLock(databasePath: path)
        writer = !setting.readOnly && (path == ":memory:" || lock != nil) ? try store.writer(retention: setting.retention) : nil
        self.post = post
        self.thresholds = thresholds
    }

    /// `init` on a thread of the store's own: opening and migrating the file is SQLite work too.
    public static func open(_ setting: HistorySetting, thresholds: HealthThresholds,
                            post: @escaping @Sendable (AppEvent) -> Void) async throws -> HistorySession {
        try await StoreQueue(label: "meshtop.store.open").run { try HistorySession(setting, thresholds: thresholds, post: post) }
    }

    var reader: HistoryReader { store.reader }

    /// Events of the last day for the Events view, then a warm-up that decodes the stored states
    /// once, so that the first time-travel step is as fast as the next ones.
    public func loadEvents() async {
        let now = Date()
        if let events = try? await reader.perform({ try $0.events(from: now.addingTimeInterval(-86400), to: now, limit: 1000) }), !events.isEmpty {
            post(.storedEvents(events))
        }
        let reader = reader
        Task.detached(priority: .background) {
            _ = try? await reader.perform { reader in
                if let latest = try reader.latestPoll() { _ = try reader.snapshot(at: latest) }
            }
        }
    }

    /// After a poll (or its write): the TREND series up to it, and the open chart again.
    public func refresh(at date: Date) async {
        if let trends = try? await reader.perform({ try $0.trends(minutes: Self.trendMinutes, endingAt: date) }) { post(.trends(trends, at: nil)) }
        if let chart { await loadCharts(service: chart.service, range: chart.range) }
    }

    /// `[`, `]`, `:at`, `:live`.
    public func travel(_ request: TravelRequest) async {
        let thresholds = thresholds
        do {
            let current = travel
            let (moved, step) = try await reader.perform { reader in
                var navigator = current
                let step = try navigator.go(request, in: reader)
                return (navigator, step)
            }
            travel = moved
            switch step {
            case let .show(position):
                // The frame first (it renders at once), its TREND series right after.
                let snapshot = try await reader.perform { try $0.snapshot(at: position, thresholds: thresholds) }
                post(.history(.frame(position, snapshot)))
                let trends = try await reader.perform { try $0.trends(minutes: Self.trendMinutes, endingAt: position.at) }
                post(.trends(trends, at: position))
            case .live: post(.history(.live))
            case .stay: break
            case let .unavailable(reason): post(.history(.unavailable(reason)))
            }
        } catch {
            post(.history(.unavailable("history store \(store.path): \(error)")))
        }
    }

    /// RPS, error % and p99 of `service` over `range`, ending at the poll shown (now when live).
    public func loadCharts(service: String, range: ChartRange) async {
        chart = (service, range)
        let end = travel.position?.at ?? Date()
        let points = (try? await reader.perform { try $0.chart(service: service, from: end.addingTimeInterval(-range.seconds), to: end,
                                                               resolution: range == .quarterHour ? .raw : .minute) }) ?? []
        post(.charts(ServiceCharts(service: service, range: range, rps: points.map(\.traffic.rps),
                                   success: points.map(\.traffic.successRate), p99: points.map(\.traffic.latencyMs.p99))))
    }
}
