import Foundation
import MeshModel

/// The views, in tab order (Topology and time travel arrive with their own issues).
public enum ViewID: String, Sendable, CaseIterable {
    case overview, services, routes, certificates, proxies, events

    public var title: String {
        switch self {
        case .overview: "Overview"
        case .services: "Services"
        case .routes: "Routes"
        case .certificates: "Certificates"
        case .proxies: "Proxies"
        case .events: "Events"
        }
    }
}

/// Selection, scroll and sort of one table.
public struct TableState: Sendable, Equatable {
    public var selected = 0
    public var offset = 0
    public var sortColumn: Int?
    public var reversed = false

    public init() {}
}

/// An overlay on top of the current view.
public enum Overlay: Sendable, Equatable {
    case help
    /// Raw JSON/YAML of the selection (`y`), with a scroll offset.
    case raw(title: String, text: String, offset: Int)
    /// Why this row has its colour (`w`).
    case why(title: String, text: String)
    /// A yes/no question that names its target; `y` confirms `action`, anything else cancels.
    case confirm(question: String, action: String)
}

/// Everything the console shows, as a value. `AppState.update` is the only way it changes.
public struct AppState: Sendable {
    public var width: Int
    public var height: Int
    public var view: ViewID = .overview
    public var snapshot: MeshSnapshot?
    public var tables: [ViewID: TableState] = [:]
    /// Drill-down: the service or proxy opened with Enter.
    public var detail: (view: ViewID, key: String)?
    public var filter = ""
    /// Typing into the filter (`/`) or palette (`:`).
    public var input: InputMode?
    public var overlay: Overlay?
    public var toast: (text: String, until: Date)?
    public var paused = false
    public var readOnly = false
    public var themeName = "default"
    public var availableThemes: [String] = []
    public var now = Date()
    public var lastPollError: String?
    /// Recent RPS per service key (`namespace/name`), for sparklines until history lands.
    public var rpsHistory: [String: [Double]] = [:]
    public var events: [MeshEvent] = []
    public var glyphs: Glyphs = .unicode

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public enum InputMode: Sendable, Equatable {
        case filter(String)
        case palette(String)
    }

    public func table(_ view: ViewID) -> TableState { tables[view] ?? TableState() }

    /// Data age, for the status bar.
    public var dataAge: TimeInterval? { snapshot.map { now.timeIntervalSince($0.generatedAt) } }

    static let minimumWidth = 80
    static let minimumHeight = 24

    public var isTooSmall: Bool { width < Self.minimumWidth || height < Self.minimumHeight }
}

extension AppState: Equatable {
    public static func == (lhs: AppState, rhs: AppState) -> Bool {
        lhs.width == rhs.width && lhs.height == rhs.height && lhs.view == rhs.view && lhs.tables == rhs.tables
            && lhs.detail?.view == rhs.detail?.view && lhs.detail?.key == rhs.detail?.key && lhs.filter == rhs.filter
            && lhs.input == rhs.input && lhs.overlay == rhs.overlay && lhs.paused == rhs.paused && lhs.themeName == rhs.themeName
            && lhs.toast?.text == rhs.toast?.text && lhs.snapshot?.generatedAt == rhs.snapshot?.generatedAt
    }
}
