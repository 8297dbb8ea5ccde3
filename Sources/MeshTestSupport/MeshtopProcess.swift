import Foundation

/// Runs the built `meshtop` executable to completion, as a script would.
public enum MeshtopProcess {
    public struct Outcome: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: String

        public var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    public struct NotBuilt: Error, CustomStringConvertible {
        public var description: String { "the meshtop executable is not built (swift build)" }
    }

    /// `meshtop ARGUMENTS`, waiting on this thread.
    public static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> Outcome {
        guard let binary = PackagePaths.meshtop else { throw NotBuilt() }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // stderr is read on another thread: a child filling one pipe while we drain the other
        // would otherwise wait on us forever.
        let errors = ErrorOutput()
        let reading = DispatchGroup()
        DispatchQueue.global().async(group: reading) { errors.data = err.fileHandleForReading.readDataToEndOfFile() }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        reading.wait()
        process.waitUntilExit()
        let message = String(decoding: errors.data, as: UTF8.self)
        return Outcome(status: process.terminationStatus, stdout: data, stderr: message)
    }

    /// `run` on a Dispatch worker thread, suspending meanwhile: a test waiting a minute for its
    /// child must not hold one of the two cooperative threads the in-process pollers need.
    public static func runSuspending(_ arguments: [String], environment: [String: String]? = nil) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try run(arguments, environment: environment) }) }
        }
    }
}

/// stderr as read by its reader thread; read only after the DispatchGroup wait, which orders
/// the write before the read.
private final class ErrorOutput: @unchecked Sendable {
    var data = Data()
}
