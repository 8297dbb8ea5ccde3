import MeshSources

/// Every transport meshtop has, for the tests that must hold for each of them (the read-only
/// rule first): how to make one, and how it addresses a simulated proxy. A new transport adds a
/// case here, and those tests run against it.
public enum TransportUnderTest: String, CaseIterable, Sendable {
    /// Direct HTTP to the admin address.
    case direct

    public func make(timeout: Double = 5) throws -> any MeshTransport {
        switch self {
        case .direct: try DirectHTTPTransport(timeout: timeout)
        }
    }

    /// How this transport reaches a target of an in-process simulator.
    public func endpoint(of target: ScrapeTarget) -> MeshEndpoint {
        switch self {
        case .direct: .url(target.url)
        }
    }
}
