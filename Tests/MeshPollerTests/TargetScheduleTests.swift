import Foundation
import MeshSources
import Testing
@testable import MeshPoller

/// The per-target schedule's transitions, one at a time, with the randomness passed in.
@Suite("Target schedule")
struct TargetScheduleTests {
    let t0 = Date(timeIntervalSince1970: 1_795_000_000)
    let backoff = TargetSchedule.Backoff(base: 2, ceiling: 60)
    let refused = SourceError(source: "proxy a.default http://10.0.0.1:15000/stats/prometheus", reason: .connectionRefused)

    @Test("A new target is due, with its details and its configs")
    func fresh() {
        let schedule = TargetSchedule()
        #expect(schedule.isDue(at: t0) && schedule.detailsDue(at: t0))
        #expect(schedule.configDue(acknowledged: "1|1", at: t0, refresh: 300) == "1|1")
        #expect(schedule.configDue(acknowledged: nil, at: t0, refresh: 300) != nil)
        #expect(schedule.consecutiveFailures == 0 && schedule.lastError == nil && schedule.lastSuccess == nil)
    }

    @Test("Failures back off exponentially with the jitter given, up to the ceiling; a success resets")
    func backoffAndReset() {
        var schedule = TargetSchedule()
        var expected: [TimeInterval] = []
        for failure in 1...8 {
            schedule.failed(refused, at: t0, backoff: backoff, jitter: 1)
            expected.append(min(60, 2 * pow(2, Double(failure - 1))))
            #expect(schedule.retryAt == t0.addingTimeInterval(expected.last!), "failure \(failure)")
        }
        #expect(expected == [2, 4, 8, 16, 32, 60, 60, 60])
        #expect(schedule.consecutiveFailures == 8 && schedule.lastError == refused)
        #expect(!schedule.isDue(at: t0.addingTimeInterval(59)) && schedule.isDue(at: t0.addingTimeInterval(60)))
        schedule.succeeded(at: t0.addingTimeInterval(61))
        #expect(schedule.consecutiveFailures == 0 && schedule.retryAt == nil && schedule.lastError == nil)
        #expect(schedule.lastSuccess == t0.addingTimeInterval(61) && schedule.isDue(at: t0.addingTimeInterval(61)))
        schedule.failed(refused, at: t0.addingTimeInterval(100), backoff: backoff, jitter: 1)
        #expect(schedule.retryAt == t0.addingTimeInterval(102), "the backoff starts over after a success")
    }

    @Test("Jitter scales the wait (0.5–1.5), so proxies that failed together do not return together")
    func jitter() {
        var early = TargetSchedule(), late = TargetSchedule()
        early.failed(refused, at: t0, backoff: backoff, jitter: 0.5)
        late.failed(refused, at: t0, backoff: backoff, jitter: 1.5)
        #expect(early.retryAt == t0.addingTimeInterval(1) && late.retryAt == t0.addingTimeInterval(3))
    }

    @Test("Details are due again after refresh × spread; a failure does not touch that")
    func detailsCadence() {
        var schedule = TargetSchedule()
        schedule.detailsRead(at: t0, refresh: 30, spread: 0.5)
        #expect(!schedule.detailsDue(at: t0.addingTimeInterval(14.9)) && schedule.detailsDue(at: t0.addingTimeInterval(15)))
        schedule.failed(refused, at: t0.addingTimeInterval(1), backoff: backoff, jitter: 1)
        #expect(!schedule.detailsDue(at: t0.addingTimeInterval(10)))
        var always = TargetSchedule()
        always.detailsRead(at: t0, refresh: 0, spread: 1)
        #expect(always.detailsDue(at: t0), "certsRefresh 0 reads them every poll")
    }

    @Test("Configs: with istiod on a new acknowledged version; without, every refresh")
    func configCadence() {
        var schedule = TargetSchedule()
        schedule.configsRead(version: "1|1", at: t0)
        #expect(schedule.configDue(acknowledged: "1|1", at: t0.addingTimeInterval(900), refresh: 300) == nil, "same nonces: nothing new")
        #expect(schedule.configDue(acknowledged: "2|1", at: t0.addingTimeInterval(1), refresh: 300) == "2|1")
        var alone = TargetSchedule()
        alone.configsRead(version: "read", at: t0)
        #expect(alone.configDue(acknowledged: nil, at: t0.addingTimeInterval(299), refresh: 300) == nil)
        #expect(alone.configDue(acknowledged: nil, at: t0.addingTimeInterval(300), refresh: 300) != nil)
    }
}
