import Foundation
import MeshFeed
import Testing

@Suite("Poll timer")
struct PollTimerTests {
    let t0 = ContinuousClock.now

    @Test("The first poll is due at once; the next interval after the previous one started")
    func rhythm() {
        var timer = PollTimer(interval: 5)
        #expect(timer.next == .now)
        timer.started(at: t0)
        #expect(timer.next == .at(t0 + .seconds(5)))
        timer.started(at: t0 + .seconds(7)) // the previous poll overran: started as soon as it ended
        #expect(timer.next == .at(t0 + .seconds(12)))
    }

    @Test("Refresh makes the next poll due at once, once; pause holds every poll until unpaused")
    func refreshAndPause() {
        var timer = PollTimer(interval: 5)
        timer.started(at: t0)
        timer.refresh()
        #expect(timer.next == .now)
        timer.started(at: t0 + .seconds(1))
        #expect(timer.next == .at(t0 + .seconds(6)), "the refresh was used up")
        timer.setPaused(true)
        #expect(timer.next == .paused)
        timer.refresh()
        #expect(timer.next == .paused, "a refresh does not end a pause")
        timer.setPaused(false)
        #expect(timer.next == .now, "the refresh asked while paused is due on unpause")
    }
}
