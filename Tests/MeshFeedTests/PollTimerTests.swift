import Foundation
import MeshFeed
import Testing

@Suite("Poll timer")
struct PollTimerTests {
    let t0 = Date(timeIntervalSince1970: 1_795_000_000)

    @Test("The first poll is due at once; the next interval after the previous one started")
    func rhythm() {
        var timer = PollTimer(interval: 5)
        #expect(timer.nextStart == .distantPast)
        timer.started(at: t0)
        #expect(timer.nextStart == t0.addingTimeInterval(5))
        timer.started(at: t0.addingTimeInterval(7)) // the previous poll overran: started as soon as it ended
        #expect(timer.nextStart == t0.addingTimeInterval(12))
    }

    @Test("Refresh makes the next poll due at once, once; pause holds every poll until unpaused")
    func refreshAndPause() {
        var timer = PollTimer(interval: 5)
        timer.started(at: t0)
        timer.refresh()
        #expect(timer.nextStart == .distantPast)
        timer.started(at: t0.addingTimeInterval(1))
        #expect(timer.nextStart == t0.addingTimeInterval(6), "the refresh was used up")
        timer.setPaused(true)
        #expect(timer.nextStart == nil)
        timer.refresh()
        #expect(timer.nextStart == nil, "a refresh does not end a pause")
        timer.setPaused(false)
        #expect(timer.nextStart == .distantPast, "the refresh asked while paused is due on unpause")
    }
}
