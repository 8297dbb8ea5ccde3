/// A bearer token. It prints, dumps and reflects as `[redacted]`, so interpolating options or
/// errors into a log line cannot leak it; only the fetcher reads the value, to send it.
public struct Credential: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The token itself, for the `Authorization` header and nothing else.
    var revealed: String { value }

    public var isEmpty: Bool { value.isEmpty }
    public var description: String { "[redacted]" }
    public var debugDescription: String { "[redacted]" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}
