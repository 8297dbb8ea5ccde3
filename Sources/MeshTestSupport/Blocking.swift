import Foundation

/// Work that blocks (a child process, a pipe, a polling loop) runs on a thread of its own while
/// the caller suspends. Not on a Dispatch queue: on Linux, Dispatch's global queues and Swift's
/// concurrency pool share their worker threads, so blocked Dispatch work starves the in-process
/// simulators, pollers and feeds of the tests beside it.
public enum Blocking {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }
}
