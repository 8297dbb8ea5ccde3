import Synchronization

/// A transport that can be pointed elsewhere while a session runs (`:ctx NAME` connects to
/// another cluster): requests go to the current one; the one replaced is shut down.
public final class SwitchableTransport: MeshTransport {
    private let current: Mutex<any MeshTransport>

    public init(_ transport: any MeshTransport) { current = Mutex(transport) }

    /// Points at `transport`; the old one is shut down unless its owner does that
    /// (`shutdownOld: false`, when a replaced poller takes its transport down with it).
    public func replace(with transport: any MeshTransport, shutdownOld: Bool = true) async {
        let old = current.withLock { value in
            defer { value = transport }
            return value
        }
        if shutdownOld { await old.shutdown() }
    }

    public func send(_ request: PermittedRequest) async throws(SourceError) -> MeshResponse {
        let transport = current.withLock { $0 }
        return try await transport.send(request)
    }

    public func shutdown() async { await current.withLock { $0 }.shutdown() }
}
