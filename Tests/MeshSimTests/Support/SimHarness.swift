import Foundation
@testable import MeshSim

/// Builds simulator states at a fixed instant and drives them through simulated time, so tests
/// do not depend on the wall clock.
enum SimHarness {
    static let t0 = Date(timeIntervalSince1970: 1_795_000_000)

    static func state(_ configure: (inout SimOptions) -> Void = { _ in }) throws -> SimulatorState {
        var options = SimOptions()
        configure(&options)
        return try SimulatorState(options: options, now: t0)
    }

    static func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    static func context(_ state: SimulatorState, proxy: Int, at seconds: Double = 0) -> ProxyContext {
        ProxyContext(state: state, proxy: proxy, now: at(seconds))
    }

    static func proxyIndex(_ state: SimulatorState, _ prefix: String) -> Int {
        state.proxy(matching: prefix)!
    }

    static func json(_ value: JSONValue) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(JSONWriter.write(value, pretty: false)), options: [.fragmentsAllowed])
    }

    /// Sum of a proxy's `istio_requests_total` samples (both reporters).
    static func requestCount(_ state: SimulatorState, proxy: Int) throws -> Double {
        try exposition(state, proxy: proxy).filter { $0.name == "istio_requests_total" }.reduce(0) { $0 + $1.value }
    }

    /// The Prometheus exposition of a proxy, parsed and validated.
    static func exposition(_ state: SimulatorState, proxy: Int) throws -> [ExpositionCheck.Sample] {
        try ExpositionCheck.parse(EnvoyStatsRenderer.prometheus(context(state, proxy: proxy))).samples
    }
}
