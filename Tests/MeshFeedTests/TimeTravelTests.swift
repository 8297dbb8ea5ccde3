import Foundation
import MeshFeed
import MeshModel
import MeshUI
import Testing

/// Stored polls as a list (the store's reader answers the same questions).
struct PollList: StoredPollIndex {
    var polls: [StoredPoll]

    func latestPoll() -> StoredPoll? { polls.last }
    func oldestPoll() -> StoredPoll? { polls.first }
    func poll(before id: Int64) -> StoredPoll? { polls.last { $0.id < id } }
    func poll(after id: Int64) -> StoredPoll? { polls.first { $0.id > id } }
    func poll(atOrBefore date: Date) -> StoredPoll? { polls.last { $0.at <= date } }
}

@Suite("Time travel")
struct TimeTravelTests {
    let t0 = Date(timeIntervalSince1970: 1_795_000_000)
    var polls: PollList { PollList(polls: (1...3).map { StoredPoll(id: Int64($0), at: t0.addingTimeInterval(Double($0) * 2)) }) }

    @Test("[ steps back from live to the newest poll, then one poll each; at the oldest it says so and stays")
    func back() throws {
        var travel = TimeTravel()
        let list = polls
        #expect(try travel.go(.back, in: list) == .show(list.polls[2]))
        #expect(try travel.go(.back, in: list) == .show(list.polls[1]))
        #expect(try travel.go(.back, in: list) == .show(list.polls[0]))
        #expect(try travel.go(.back, in: list) == .unavailable("oldest stored poll"))
        #expect(travel.position == list.polls[0])
    }

    @Test("] steps forward; past the newest it is live again; ] while live stays live")
    func forward() throws {
        var travel = TimeTravel()
        let list = polls
        _ = try travel.go(.back, in: list)
        _ = try travel.go(.back, in: list)
        #expect(try travel.go(.forward, in: list) == .show(list.polls[2]))
        #expect(try travel.go(.forward, in: list) == .live)
        #expect(travel.position == nil)
        #expect(try travel.go(.forward, in: list) == .live)
    }

    @Test(":at jumps to the last poll at or before the time; before the oldest it names the oldest; :live returns quietly")
    func jump() throws {
        var travel = TimeTravel()
        let list = polls
        #expect(try travel.go(.to(t0.addingTimeInterval(5)), in: list) == .show(list.polls[1]))
        let early = try travel.go(.to(t0), in: list)
        #expect(early == .unavailable("nothing stored that early (oldest \(Clock.hms(list.polls[0].at)))"))
        #expect(travel.position == list.polls[1], "an unavailable jump leaves the position")
        #expect(try travel.go(.live, in: list) == .stay)
        #expect(travel.position == nil)
    }

    @Test("An empty store: nothing stored yet")
    func empty() throws {
        var travel = TimeTravel()
        #expect(try travel.go(.back, in: PollList(polls: [])) == .unavailable("nothing stored yet"))
        #expect(try travel.go(.to(t0), in: PollList(polls: [])) == .unavailable("nothing stored yet"))
    }
}
