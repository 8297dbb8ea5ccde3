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
}

/// What the app asks its host to do; the state machine itself does no I/O.
public enum Effect: Sendable, Equatable {
    case quit
    case refresh
    case pause(Bool)
    /// Copy to the clipboard via OSC 52 (works over SSH).
    case copy(String)
    case theme(String)
    /// The user confirmed an action in a confirmation dialog.
    case confirmed(String)
}
