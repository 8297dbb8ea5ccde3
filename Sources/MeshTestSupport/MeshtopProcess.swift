import Foundation

/// Runs a child process to completion on a thread of its own while the caller suspends: a test
/// that waits seconds for a child must not hold one of the Swift concurrency pool's threads
/// (two on this machine), or the in-process simulators and pollers of the tests beside it
/// starve (seen: tests waiting 40 s for a thread, healthy proxies timing out).
public enum ProcessRunner {
    public struct Outcome: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: String

        public var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                           input: Data? = nil) async throws -> Outcome {
        try await Blocking.run { try runHere(executable, arguments, environment: environment, input: input) }
    }

    /// The same, waiting on this thread (benchmarks, and code not on the concurrency pool).
    public static func runHere(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                               input: Data? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(input)
            try? stdin.fileHandleForWriting.close()
        }
        // stderr is read on another thread: a child filling one pipe while we drain the other
        // would otherwise wait on us forever.
        let errors = ErrorOutput()
        let reading = DispatchSemaphore(value: 0)
        Thread {
            errors.data = err.fileHandleForReading.readDataToEndOfFile()
            reading.signal()
        }.start()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        reading.wait()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: data, stderr: String(decoding: errors.data, as: UTF8.self))
    }
}

/// stderr as read by its reader thread; read only after the semaphore wait, which orders the
/// write before the read.
private final class ErrorOutput: @unchecked Sendable {
    var data = Data()
}

/// The built `meshtop` executable, run to completion as a script would.
public enum MeshtopProcess {
    public typealias Outcome = ProcessRunner.Outcome

    public struct NotBuilt: Error, CustomStringConvertible {
        public var description: String { "the meshtop executable is not built (swift build)" }
    }

    public static func run(_ arguments: [String], environment: [String: String]? = nil) async throws -> Outcome {
        guard let binary = PackagePaths.meshtop else { throw NotBuilt() }
        return try await ProcessRunner.run(binary, arguments, environment: environment)
    }
}

extension Process {
    /// Waits for the exit on a thread of its own while the caller suspends.
    public func exited() async {
        let process = UncheckedProcess(process: self)
        await Blocking.run { process.process.waitUntilExit() }
    }
}

/// A Process to wait on from another thread (`waitUntilExit` is safe to call from any thread).
private struct UncheckedProcess: @unchecked Sendable {
    let process: Process
}
