import Foundation
import MeshModel

/// The views, in tab order (product.md §4).
public enum ViewID: String, Sendable, CaseIterable {
    case overview, services, topology, routes, certificates, proxies, events
    /// The ambient nodes' ztunnels (`:ztunnel`, or `z` in Proxies): no tab of its own, it sits
    /// under Proxies.
    case ztunnels

    /// The views with a tab (and a digit), in order.
    public static let tabs: [ViewID] = [.overview, .services, .topology, .routes, .certificates, .proxies, .events]

    /// The tab that is lit while this view shows.
    public var tab: ViewID { self == .ztunnels ? .proxies : self }

    /// The tab labels for a terminal `width` wide: full titles when they fit, else short ones
    /// (7 tabs do not fit 80 columns in full).
    public static func tabLabels(width: Int) -> [String] {
        let full = tabs.enumerated().map { " \($0 + 1) \($1.title) " }
        if full.reduce(1, { $0 + $1.count + 1 }) + 22 <= width { return full }
        return tabs.enumerated().map { " \($0 + 1) \($1.shortTitle) " }
    }

    public var shortTitle: String {
        switch self {
        case .overview: "Overview"
        case .services: "Services"
        case .topology: "Topo"
        case .routes: "Routes"
        case .certificates: "Certs"
        case .proxies: "Proxies"
        case .events: "Events"
        case .ztunnels: "Ztunnels"
        }
    }

    public var title: String {
        switch self {
        case .overview: "Overview"
        case .services: "Services"
        case .topology: "Topology"
        case .routes: "Routes"
        case .certificates: "Certificates"
        case .proxies: "Proxies"
        case .events: "Events"
        case .ztunnels: "Ztunnels"
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
    /// A yes/no question that names its target; `y` confirms the action, anything else cancels.
    case confirm(OperatorAction)
}

/// A pan offset in cells (the topology drawing when it is larger than the view).
public struct Pan: Sendable, Equatable {
    public var x = 0
    public var y = 0

    public init(x: Int = 0, y: Int = 0) {
        self.x = x
        self.y = y
    }
}

/// The ranges of the service detail's history charts (`t` cycles them).
public enum ChartRange: String, Sendable, CaseIterable {
    case quarterHour = "15 min"
    case hour = "1 h"
    case day = "24 h"

    public var seconds: TimeInterval {
        switch self {
        case .quarterHour: 900
        case .hour: 3600
        case .day: 86400
        }
    }

    var next: ChartRange { Self.allCases[(Self.allCases.firstIndex(of: self)! + 1) % Self.allCases.count] }
}

/// RPS, success rate and p99 of one service over a range, oldest first (nil where unknown).
public struct ServiceCharts: Sendable, Equatable {
    public var service: String
    public var range: ChartRange
    public var rps: [Double]
    public var success: [Double?]
    public var p99: [Double?]

    public init(service: String, range: ChartRange, rps: [Double], success: [Double?], p99: [Double?]) {
        self.service = service
        self.range = range
        self.rps = rps
        self.success = success
        self.p99 = p99
    }
}

/// Everything the console shows, as a value. `AppState.update` is the only way it changes.
public struct AppState: Sendable {
    public var width: Int
    public var height: Int
    public var view: ViewID = .overview
    public var snapshot: MeshSnapshot? { didSet { rowInputs = RowCache.nextInputs() } }
    public var tables: [ViewID: TableState] = [:]
    /// Drill-down: the service or proxy opened with Enter.
    public var detail: (view: ViewID, key: String)?
    public var filter = ""
    /// Typing into the filter (`/`) or palette (`:`).
    public var input: InputMode?
    public var overlay: Overlay?
    public var toast: (text: String, until: Date)?
    public var paused = false
    /// No operator actions (the dashboard, `--readonly`).
    public var readOnly = false
    /// The dashboard: keys limited to navigation and quit, optional rotation, the wall layout
    /// on large terminals.
    public var dashboard = false
    /// Dashboard: switch to the next view this often (`--rotate 15s`).
    public var rotateEvery: TimeInterval?
    var lastRotation: Date?
    public var themeName = "default"
    public var availableThemes: [String] = []
    public var now = Date()
    public var lastPollError: String?
    /// RPS per minute per service key (`namespace/name`), oldest first, from the history store
    /// (the TREND column).
    public var trends: [String: [Double]] = [:] { didSet { rowInputs = RowCache.nextInputs() } }
    /// The live timeline (the Events view while live; a historical snapshot carries its own).
    public var events: [MeshEvent] = [] { didSet { rowInputs = RowCache.nextInputs() } }
    /// The host keeps a history store, so `[` `]` and charts can work.
    public var historyAvailable = false
    /// The stored poll shown while time travelling; nil when live.
    public var travel: StoredPoll? { didSet { rowInputs = RowCache.nextInputs() } }
    /// The newest live snapshot, kept aside while time travelling.
    public var liveSnapshot: MeshSnapshot?
    /// History charts of the open service, and the range the next ones are asked for.
    public var charts: ServiceCharts?
    public var chartRange: ChartRange = .quarterHour
    /// Topology: the service whose 2-hop neighbourhood is shown (Enter), and the pan offset.
    public var topologyFocus: String?
    public var topologyPan = Pan()
    public var glyphs: Glyphs = .unicode { didSet { rowInputs = RowCache.nextInputs() } }
    /// Which values of the inputs above the cached table rows were built from.
    var rowInputs = RowCache.nextInputs()
    /// Table rows built once per change of what they show, shared by drawing and key handling
    /// (copies of the state share it; its keys tell their inputs apart).
    let rowCache = RowCache()

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public enum InputMode: Sendable, Equatable {
        case filter(String)
        case palette(String)
    }

    public func table(_ view: ViewID) -> TableState { tables[view] ?? TableState() }

    /// The events to show: the live timeline, or while time travelling the stored events up to
    /// the poll shown.
    public var timeline: [MeshEvent] { travel == nil ? events : snapshot?.events ?? [] }

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
            && lhs.toast?.text == rhs.toast?.text && lhs.snapshot?.generatedAt == rhs.snapshot?.generatedAt && lhs.travel == rhs.travel && lhs.topologyFocus == rhs.topologyFocus && lhs.topologyPan == rhs.topologyPan
    }
}
