import Dispatch
import Foundation

/// Waits for SIGINT or SIGTERM without installing C handlers that would race with Swift code.
enum Signals {
    static func waitForTermination() async -> String {
        await withCheckedContinuation { continuation in
            let once = Once(continuation)
            onTermination { once.resume($0) }
        }
    }

    /// Installs the handlers now (synchronously, so a signal that arrives right after cannot
    /// take the default action) and calls `handler` with the signal's name. SIGHUP (a dropped
    /// SSH connection, a closed terminal) ends a session like SIGTERM, even when the parent
    /// left it ignored.
    static func onTermination(_ handler: @escaping @Sendable (String) -> Void) {
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(name) }
            source.resume()
            Retained.sources.append(source)
        }
    }

    /// Resumes a continuation at most once, whichever signal comes first.
    final class Once: @unchecked Sendable {
        // Safe: `lock` guards `continuation`, the only mutable state.
        private let lock = NSLock()
        private var continuation: CheckedContinuation<String, Never>?

        init(_ continuation: CheckedContinuation<String, Never>) { self.continuation = continuation }

        func resume(_ name: String) {
            lock.lock()
            let pending = continuation
            continuation = nil
            lock.unlock()
            pending?.resume(returning: name)
        }
    }

    /// Dispatch sources must stay alive for their handlers to fire. Appended only while
    /// installing handlers, before any signal can use them, hence the unchecked access.
    enum Retained {
        nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
    }
}
