import Foundation

/// A way a proxy's admin API can misbehave (`meshtop sim --faults KIND:FRACTION`). Each is
/// something operators meet in real meshes: a wedged sidecar, a slow link, a restarting pod,
/// an auth proxy in front of the admin port, a corrupted or cut-off answer, a runaway config
/// dump, a login page instead of JSON.
public enum FaultKind: String, Sendable, CaseIterable {
    /// Accepts the request and never answers.
    case hang
    /// Answers the real body one byte per second.
    case drip
    /// Resets the connection (TCP RST) instead of answering.
    case reset
    /// HTTP 500 with Envoy's upstream-reset text.
    case http500
    /// HTTP 401, as an auth proxy in front of the admin port answers.
    case http401
    /// HTTP 200 with random bytes (control characters and escape sequences included).
    case garbage
    /// HTTP 200 with the first half of the real body.
    case truncated
    /// HTTP 200 with a 100 MB body.
    case huge
    /// HTTP 200 with an HTML page (`text/html`) instead of the real content.
    case wrongtype
}

/// One `KIND:FRACTION` of `--faults`: the share of proxies that get this fault.
public struct FaultSpec: Sendable, Equatable {
    public var kind: FaultKind
    public var fraction: Double

    public init(kind: FaultKind, fraction: Double) {
        self.kind = kind
        self.fraction = fraction
    }

    /// Parses `hang:0.1,http500:0.2` (a bare `KIND` means every proxy).
    public static func parse(list text: String) throws -> [FaultSpec] {
        try text.split(separator: ",").map { item in
            let parts = item.split(separator: ":", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
            guard let kind = FaultKind(rawValue: parts[0]) else {
                let known = FaultKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw SimError.invalidScenario("--faults: unknown kind '\(parts[0])' (known: \(known))")
            }
            let fraction = parts.count > 1 ? Double(parts[1]) : 1
            guard let fraction, fraction > 0, fraction <= 1 else {
                throw SimError.invalidScenario("--faults: '\(item)' needs a fraction in (0, 1]")
            }
            return FaultSpec(kind: kind, fraction: fraction)
        }
    }

    /// Which proxy gets which fault: proxies in a seeded random order, each kind taking the next
    /// `fraction × count` of them (at least one), so kinds never share a proxy while there are
    /// proxies left and the same seed always picks the same ones.
    public static func assign(_ specs: [FaultSpec], proxyCount: Int, seed: UInt64) -> [Int: FaultKind] {
        var random = SimRandom(seed: seed ^ 0xFA17)
        let order = Array(0..<proxyCount).shuffled(using: &random)
        var assigned: [Int: FaultKind] = [:]
        var next = 0
        for spec in specs {
            let count = max(1, Int((spec.fraction * Double(proxyCount)).rounded()))
            for _ in 0..<count where next < order.count {
                assigned[order[next]] = spec.kind
                next += 1
            }
        }
        return assigned
    }
}

/// The bodies the faults send.
enum FaultBodies {
    static let hugeSize = 100 << 20
    /// One megabyte of text lines, written 100 times for `huge` (NIO shares the buffer's storage,
    /// so the simulator does not hold 100 MB itself).
    static let hugeChunk: [UInt8] = {
        let line = Array("padding_that_never_ends{reason=\"a runaway admin response\"} 1\n".utf8)
        var chunk: [UInt8] = []
        chunk.reserveCapacity(1 << 20)
        while chunk.count + line.count <= 1 << 20 { chunk += line }
        while chunk.count < 1 << 20 { chunk.append(UInt8(ascii: "\n")) }
        return chunk
    }()

    /// Random bytes with escape sequences and control characters in them, different per request.
    static func garbage(seed: UInt64) -> [UInt8] {
        var random = SimRandom(seed: seed)
        var bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) }
        let escapes = Array("\u{1B}]52;c;ZXZpbA==\u{07}\u{1B}[2J\u{1B}[31mred\u{1B}[0m\u{9B}6n".utf8)
        bytes.replaceSubrange(100..<(100 + escapes.count), with: escapes)
        return bytes
    }

    static let loginPage = Array("""
        <!DOCTYPE html>
        <html><head><title>Sign in</title></head>
        <body><form method="post" action="/oauth2/start"><button>Sign in with SSO</button></form></body></html>

        """.utf8)
}
