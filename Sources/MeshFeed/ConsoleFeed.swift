import Foundation
import MeshModel
import MeshSources
import MeshUI

/// What the console does with a feed's events: the snapshot and failures for the app state, and
/// after each poll the TREND series — from the history store once the poll is in it, or from
/// Prometheus's own history when there is no store.
public struct ConsoleFeed: Sendable {
    let history: HistorySession?
    let prometheus: PrometheusSource?
    let post: @Sendable (AppEvent) -> Void

    public init(history: HistorySession?, prometheus: PrometheusSource?, post: @escaping @Sendable (AppEvent) -> Void) {
        self.history = history
        self.prometheus = prometheus
        self.post = post
    }

    public func publish(_ event: FeedEvent) async {
        switch event {
        case let .snapshot(snapshot, baseline):
            post(.snapshot(snapshot))
            if !snapshot.sources.contains(where: \.ok) { post(.pollFailed(snapshot.sources.first?.error ?? "no source answered")) }
            if let history {
                // Not written by this session (the baseline, or a store another process writes):
                // the stored series as they are now.
                if baseline || history.writer == nil { await history.refresh(at: snapshot.generatedAt) }
            } else if let prometheus,
                      let trends = try? await prometheus.serviceTrends(minutes: HistorySession.trendMinutes, endingAt: snapshot.generatedAt) {
                post(.trends(trends, at: nil))
            }
        case let .failed(error):
            post(.pollFailed(error.description))
        case let .recorded(_, snapshot):
            await history?.refresh(at: snapshot.generatedAt)
        case let .recordFailed(message):
            post(.pollFailed("history store \(history?.store.path ?? ""): \(message)"))
        case let .recordsDropped(count):
            post(.pollFailed("history store \(history?.store.path ?? ""): \(count) poll\(count == 1 ? "" : "s") not written (the store is slower than the polls)"))
        }
    }
}
