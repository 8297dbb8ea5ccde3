import Foundation

/// A thread of the store's own for SQLite calls, taking jobs in order. Callers suspend while
/// it works, so a slow disk, or a file another process holds locked (busy timeout: 10 s), never
/// holds a thread the rest of the process needs.
///
/// A dedicated thread, not a Dispatch queue: on Linux, Swift's concurrency pool and Dispatch
/// share the worker threads of the global queues, and writes blocked on locked files starved
/// every task of the process for the whole busy timeout (a task waited 60.1 s for a thread with
/// a 60 s timeout; `StoreQueueTests`).
public final class StoreQueue: Sendable {
    private let jobs: Jobs

    public init(label: String) {
        jobs = Jobs()
        let thread = Thread { [jobs] in jobs.work() }
        thread.name = label
        thread.start()
    }

    deinit { jobs.stop() }

    /// Runs `body` on the thread, after what was queued before it, and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            jobs.add { continuation.resume(with: Result { try body() }) }
        }
    }

    /// The jobs waiting and the thread's loop; the thread holds this, not the queue, so the
    /// queue's deinit can stop it.
    final class Jobs: @unchecked Sendable {
        // Safe: `waiting` and `stopped` are only touched with `condition` locked.
        private let condition = NSCondition()
        private var waiting: [@Sendable () -> Void] = []
        private var stopped = false

        func add(_ job: @escaping @Sendable () -> Void) {
            condition.lock()
            waiting.append(job)
            condition.signal()
            condition.unlock()
        }

        func stop() {
            condition.lock()
            stopped = true
            condition.signal()
            condition.unlock()
        }

        func work() {
            while true {
                condition.lock()
                while waiting.isEmpty, !stopped { condition.wait() }
                if waiting.isEmpty {
                    condition.unlock()
                    return
                }
                let job = waiting.removeFirst()
                condition.unlock()
                job()
            }
        }
    }
}
