import Foundation
import MeshModel

/// A key press, decoded by the terminal backend.
public enum Key: Sendable, Equatable {
    case character(Character)
    case enter, escape, tab, backTab, backspace
    case up, down, left, right, pageUp, pageDown, home, end
    case control(Character)
    /// A mouse click at a cell (mouse reporting is opt-in).
    case click(x: Int, y: Int)
}

/// What the app reacts to.
public enum AppEvent: Sendable {
    case key(Key)
    case tick(Date)
    case snapshot(MeshSnapshot)
    case pollFailed(String)
    case resize(width: Int, height: Int)
    /// An answer of the history store to a `.travel` effect.
    case history(HistoryAnswer)
    /// RPS per minute per service from the store, for the TREND column, ending at a stored
    /// poll (`at`, while time travelling) or now (nil).
    case trends([String: [Double]], at: StoredPoll?)
    /// Charts for the open service (answer to `.loadCharts`).
    case charts(ServiceCharts)
    /// Events read from the store at start, older than anything live.
    case storedEvents([MeshEvent])
    /// The outcome of an operator action (an `.action` event: done, failed or refused).
    case actionResult(MeshEvent)
    /// Something the host has to say (a context switch done or failed).
    case notice(String)
}

/// What the store answered to a time-travel request.
public enum HistoryAnswer: Sendable {
    /// The stored state at a poll (its TREND series follow as `.trends(_, at:)`).
    case frame(StoredPoll, MeshSnapshot)
    /// Stepped past the newest stored poll: back to live.
    case live
    /// Nothing there (no older poll, no history store, a read error), with a reason to show.
    case unavailable(String)
}

/// Where to travel in the store. The host keeps the position, so keys pressed faster than the
/// store answers still step one poll each.
public enum TravelRequest: Sendable, Equatable {
    /// One poll older (from live: the newest stored poll).
    case back
    /// One poll newer; past the newest means live.
    case forward
    /// The last poll at or before this instant.
    case to(Date)
    /// Back to live.
    case live
}

/// What the app asks its host to do; the state machine itself does no I/O.
public enum Effect: Sendable, Equatable {
    case quit
    case refresh
    case pause(Bool)
    /// Copy to the clipboard via OSC 52 (works over SSH).
    case copy(String)
    case theme(String)
    /// The user confirmed an operator action in its confirmation dialog.
    case confirmed(OperatorAction)
    /// Ask the store for the state at another poll.
    case travel(TravelRequest)
    /// Ask the store for a service's history charts.
    case loadCharts(service: String, range: ChartRange)
    /// Poll another kubeconfig context, or another namespace of it, from now on (`:ctx`, `:ns`).
    case switchCluster(ClusterSwitch)
}

/// What `:ctx NAME` and `:ns NAME` change of the cluster polled.
public enum ClusterSwitch: Sendable, Equatable {
    case context(String)
    /// nil: every namespace (`:ns all`).
    case namespace(String?)

    public var isContext: Bool {
        if case .context = self { return true }
        return false
    }
}

/// What the terminal itself does for an effect, on the thread that owns it.
public protocol TerminalEffects {
    /// OSC 52, which works over SSH.
    func copyToClipboard(_ text: String)
    func applyTheme(named name: String)
}

/// Carries out the effects `AppState.update` returns, in order (MeshFeed's `EffectRunner`).
/// Called on the terminal's thread: it does the terminal's own effects at once and hands the
/// rest to its own worker, so it never blocks input.
public protocol EffectRunning: Sendable {
    /// Runs one effect; false when it ends the session (quit).
    func run(_ effect: Effect, terminal: any TerminalEffects) -> Bool
}
