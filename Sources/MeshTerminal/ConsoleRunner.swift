import CNCurses
import Dispatch
import Foundation
import MeshModel
import MeshUI
import Synchronization

/// Options of an interactive session.
public struct ConsoleOptions: Sendable {
    public var themes: [String: Theme]
    public var themeName: String
    public var ascii = false
    public var mouse = false
    public var readOnly = false
    /// The dashboard: navigation and quit only, the wall layout on large terminals.
    public var dashboard = false
    /// Dashboard: the next view this often.
    public var rotateEvery: TimeInterval?
    public var environment: [String: String] = ProcessInfo.processInfo.environment

    public init(themes: [String: Theme], themeName: String) {
        self.themes = themes
        self.themeName = themeName
    }
}

/// Events posted to the run loop from other threads (poll results, signals).
public final class Inbox: Sendable {
    private let queue = Mutex<[AppEvent]>([])
    private let quitRequested = Mutex(false)

    public init() {}

    public func post(_ event: AppEvent) { queue.withLock { $0.append(event) } }
    public func requestQuit() { quitRequested.withLock { $0 = true } }

    func drain() -> (events: [AppEvent], quit: Bool) {
        (queue.withLock { events in defer { events.removeAll() }; return events }, quitRequested.withLock { $0 })
    }
}

/// The run loop: one thread owns curses; each pass drains the inbox, reads keys with a short
/// timeout, and repaints at most ~30 times a second when something changed. A slow source only
/// makes its rows older; it never blocks input.
public enum ConsoleRunner {
    /// Runs until quit; restores the terminal on every exit path.
    public static func run(options: ConsoleOptions, inbox: Inbox, effects runner: any EffectRunning, historyAvailable: Bool = false) {
        CrashGuard.install()
        let screen = CursesScreen(mouse: options.mouse)
        CrashGuard.active.withLock { $0 = true }
        defer {
            screen.close()
            CrashGuard.active.withLock { $0 = false }
        }
        let size = screen.size
        var state = AppState(width: size.width, height: size.height)
        state.readOnly = options.readOnly || options.dashboard
        state.dashboard = options.dashboard
        state.rotateEvery = options.rotateEvery
        state.historyAvailable = historyAvailable
        state.availableThemes = options.themes.keys.sorted()
        state.themeName = options.themes[options.themeName] == nil ? (options.themes.keys.sorted().first ?? "default") : options.themeName
        state.glyphs = options.ascii || !screen.utf8 ? .ascii : .unicode
        if let theme = options.themes[state.themeName] { screen.apply(theme, environment: options.environment) }
        let terminal = ScreenEffects(screen: screen, options: options)
        var dirty = true
        var lastDraw = DispatchTime.now().uptimeNanoseconds
        var lastTick = Date()
        var lastTerminalCheck = Date()
        loop: while true {
            let (events, quit) = inbox.drain()
            if quit { break }
            var effects: [Effect] = []
            for event in events { effects += state.update(event) }
            if !events.isEmpty { dirty = true }
            let now = Date()
            if now.timeIntervalSince(lastTick) >= 1 {
                lastTick = now
                effects += state.update(.tick(now))
                dirty = true
            }
            switch screen.readKey() {
            case .resize?:
                let size = screen.size
                effects += state.update(.resize(width: size.width, height: size.height))
                dirty = true
            case let .key(key)?:
                effects += state.update(.key(key))
                dirty = true
            case nil:
                // Once a second, make sure the terminal is still there (a hang-up whose signal
                // was ignored must not leave a session polling the mesh forever).
                if now.timeIntervalSince(lastTerminalCheck) >= 1 {
                    lastTerminalCheck = now
                    if screen.terminalLost { break loop }
                }
            }
            for effect in effects where !runner.run(effect, terminal: terminal) { break loop }
            let elapsed = DispatchTime.now().uptimeNanoseconds - lastDraw
            if dirty, elapsed >= 33_000_000 {
                screen.draw(Screen.render(state))
                lastDraw = DispatchTime.now().uptimeNanoseconds
                dirty = false
            }
        }
    }
}

/// The terminal's side of effects: the clipboard and the theme, on the curses thread.
struct ScreenEffects: TerminalEffects {
    let screen: CursesScreen
    let options: ConsoleOptions

    func copyToClipboard(_ text: String) { screen.copyToClipboard(text) }

    func applyTheme(named name: String) {
        if let theme = options.themes[name] { screen.apply(theme, environment: options.environment) }
    }
}

/// Restores the terminal when the process dies of a crash signal, then lets the signal kill it.
enum CrashGuard {
    static let active = Mutex(false)

    static func install() {
        for number in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT] {
            signal(number) { received in
                endwin()
                signal(received, SIG_DFL)
                raise(received)
            }
        }
    }
}
