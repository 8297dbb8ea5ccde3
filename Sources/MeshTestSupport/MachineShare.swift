import Testing

/// Keeps CPU-heavy tests and timing-sensitive tests apart. Swift Testing starts every test at
/// once; on two cores, a minute of synchronous CPU work (whole simulated meshes rendered and
/// parsed, hours of traffic stepped) queued ahead of everything else, and tests that judge time
/// — deadlines, polling rhythms, rates over a few seconds — waited 7–60 s for a thread and
/// failed on correct code. Heavy tests run one at a time and only while no timing test runs;
/// timing tests run together; tests with neither trait run whenever.
public actor MachineShare {
    public static let shared = MachineShare()

    public enum Use: Sendable { case heavy, timing }

    private var heavyRunning = false
    private var timingRunning = 0
    /// Waiting tests in arrival order: fair, so neither kind waits forever.
    private var queue: [(use: Use, continuation: CheckedContinuation<Void, Never>)] = []

    public func acquire(_ use: Use) async {
        if queue.isEmpty, admits(use) {
            take(use)
            return
        }
        await withCheckedContinuation { queue.append((use, $0)) }
    }

    public func release(_ use: Use) {
        switch use {
        case .heavy: heavyRunning = false
        case .timing: timingRunning -= 1
        }
        while let next = queue.first, admits(next.use) {
            queue.removeFirst()
            take(next.use)
            next.continuation.resume()
        }
    }

    private func admits(_ use: Use) -> Bool {
        switch use {
        case .heavy: !heavyRunning && timingRunning == 0
        case .timing: !heavyRunning
        }
    }

    private func take(_ use: Use) {
        switch use {
        case .heavy: heavyRunning = true
        case .timing: timingRunning += 1
        }
    }
}

/// The trait that takes a share of the machine for a test (or every test of a suite).
public struct MachineShareTrait: TestTrait, SuiteTrait, TestScoping {
    let use: MachineShare.Use

    public var isRecursive: Bool { true }

    /// A share per test case: a suite's trait applies to each of its tests, not to the suite as
    /// a whole (a `.serialized` suite would otherwise hold it for all of them).
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? { testCase == nil ? nil : self }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        await MachineShare.shared.acquire(use)
        do {
            try await function()
        } catch {
            await MachineShare.shared.release(use)
            throw error
        }
        await MachineShare.shared.release(use)
    }
}

extension Trait where Self == MachineShareTrait {
    /// Seconds of synchronous CPU work: runs alone among the heavy and timing tests.
    public static var cpuHeavy: Self { MachineShareTrait(use: .heavy) }
    /// Judges time (deadlines, rhythms, rates): never runs beside a heavy test.
    public static var timingSensitive: Self { MachineShareTrait(use: .timing) }
}
