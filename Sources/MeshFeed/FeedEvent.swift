import Foundation
import MeshModel
import MeshSources
import MeshStore

/// What a feed publishes, in the order it happens.
public enum FeedEvent: Sendable {
    /// A new snapshot; `baseline` for the first of a live feed (no rates yet, not recorded).
    case snapshot(MeshSnapshot, baseline: Bool)
    /// The source could not be read at all this cycle (a capture directory, a history store).
    case failed(SourceError)
    /// The history store now holds this snapshot.
    case recorded(HistoryWriter.Written, MeshSnapshot)
    /// A write to the history store failed.
    case recordFailed(String)
    /// Snapshots not written: the store fell `Recorder.capacity` behind, or the writes still
    /// waiting at the end ran out of time.
    case recordsDropped(Int)
}
