import Foundation

/// What an admin request did, for the HTTP layer to answer. The state changes every mesh's
/// actions share (drain, counter reset) are here; each face parses its own request into them.
public struct ActionResult: Sendable {
    public var status: Int
    public var body: String
}

extension SimulatorState {
    /// `POST /healthcheck/fail` and `/healthcheck/ok`: the proxy drains (no new inbound traffic,
    /// `/ready` 503) or comes back.
    mutating func setHealthCheck(proxy index: Int, failed: Bool) -> ActionResult {
        proxies[index].healthCheckFailed = failed
        journal.append("healthcheck \(failed ? "fail" : "ok") on \(topology.proxies[index].id)")
        updateRates()
        return ActionResult(status: 200, body: "OK\n")
    }

    /// `POST /reset_counters`: this proxy's counters and histograms restart from zero.
    mutating func resetCounters(proxy index: Int) -> ActionResult {
        proxies[index].counterBaseline = baselineNow(for: index)
        proxies[index].resetCount += 1
        journal.append("reset_counters on \(topology.proxies[index].id)")
        return ActionResult(status: 200, body: "OK\n")
    }
}
