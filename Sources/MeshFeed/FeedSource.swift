import Foundation
import MeshModel
import MeshPoller
import MeshSources
import MeshStore

/// What a feed read from its source in one cycle.
public enum FeedRead: Sendable {
    /// A poll to derive a snapshot from.
    case round(PollRound)
    /// A snapshot derived elsewhere (a history store a recorder writes).
    case snapshot(MeshSnapshot)
    /// Nothing new: a poll already running, or no new stored poll.
    case nothingNew
    /// The source could not be read at all.
    case failed(SourceError)
}

/// Where a feed's snapshots come from: the live mesh, a capture directory, or a history store.
public protocol FeedSource: Sendable {
    /// The first snapshot only sets the baseline of rates (they need two polls): it is shown,
    /// never recorded, and `snapshot` does not print it.
    var firstIsBaseline: Bool { get }
    func read() async -> FeedRead
    func shutdown() async
}

/// The live mesh, through the poller.
public struct PollerFeedSource: FeedSource {
    public let poller: MeshPoller

    public init(_ poller: MeshPoller) { self.poller = poller }

    public var firstIsBaseline: Bool { true }

    public func read() async -> FeedRead {
        guard let round = await poller.poll() else { return .nothingNew }
        return .round(round)
    }

    public func shutdown() async { await poller.shutdown() }
}

/// `--source dir:PATH`: a capture directory, read again every cycle. A capture is complete in
/// itself (it has no rates), so its first read is no baseline.
public struct DirectoryFeedSource: FeedSource {
    public let path: String

    public init(path: String) { self.path = path }

    public var firstIsBaseline: Bool { false }

    public func read() async -> FeedRead {
        do { return .round(try DirectorySource.read(path)) } catch { return .failed(error) }
    }

    public func shutdown() async {}
}

/// `--from-db PATH`: the newest poll a recorder stored, as it stored it; no request to the mesh.
/// Only a new poll is news, with the events since the one shown before (the first brings none:
/// the session's history loads the stored timeline).
public actor StoreFeedSource: FeedSource {
    let reader: HistoryReader
    let path: String
    let thresholds: HealthThresholds
    private var shown: StoredPoll?

    public init(reader: HistoryReader, path: String, thresholds: HealthThresholds) {
        self.reader = reader
        self.path = path
        self.thresholds = thresholds
    }

    public nonisolated var firstIsBaseline: Bool { false }

    public func read() async -> FeedRead {
        let thresholds = thresholds
        do {
            guard let poll = try await reader.perform({ try $0.latestPoll() }) else {
                return .failed(SourceError(source: "--from-db \(path)", reason: .unreadable("no poll stored yet")))
            }
            guard poll != shown else { return .nothingNew }
            var snapshot = try await reader.perform { try $0.snapshot(at: poll, thresholds: thresholds) }
            let since = shown?.at ?? .distantFuture
            snapshot.events = snapshot.events.filter { $0.at > since }
            shown = poll
            return .snapshot(snapshot)
        } catch {
            return .failed(SourceError(source: "--from-db \(path)", reason: .unreadable("\(error)")))
        }
    }

    public func shutdown() async {}
}
