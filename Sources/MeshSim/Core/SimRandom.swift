import Foundation

/// A small, fast, seedable generator (SplitMix64), so that `--seed S` reproduces the same
/// topology, names, traffic and nonces on every run.
public struct SimRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A standard normal deviate (Box–Muller).
    public mutating func normal() -> Double {
        let u1 = max(unit(), 1e-300)
        let u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    /// A Poisson-distributed count with the given mean. Exact (Knuth) for small means, a rounded
    /// normal approximation above 30 where the difference is invisible in rates.
    public mutating func poisson(mean: Double) -> Int {
        guard mean > 0 else { return 0 }
        if mean < 30 {
            let limit = exp(-mean)
            var product = unit()
            var count = 0
            while product > limit {
                count += 1
                product *= unit()
            }
            return count
        }
        return max(0, Int((mean + mean.squareRoot() * normal()).rounded()))
    }

    /// A binomial count: `trials` draws that each succeed with `probability`. Exact for small
    /// expected counts (direct draws, or geometric waiting times), a rounded normal beyond 30:
    /// tail buckets of latency histograms have tiny probabilities, and a normal approximation
    /// there would starve them and push their mass into later buckets.
    public mutating func binomial(trials: Int, probability: Double) -> Int {
        guard trials > 0, probability > 0 else { return 0 }
        if probability >= 1 { return trials }
        if trials < 40 {
            var hits = 0
            for _ in 0..<trials where unit() < probability { hits += 1 }
            return hits
        }
        let mean = Double(trials) * probability
        if mean < 30 {
            let logFail = log1p(-probability)
            var hits = 0
            var position = 0
            while true {
                position += Int((log(max(unit(), 1e-300)) / logFail).rounded(.down)) + 1
                if position > trials { return hits }
                hits += 1
            }
        }
        let sd = (mean * (1 - probability)).squareRoot()
        return min(trials, max(0, Int((mean + sd * normal()).rounded())))
    }

    /// Splits `total` draws over categories with the given probabilities (multinomial, by
    /// successive conditional binomials). The result sums to `total`.
    public mutating func multinomial(total: Int, probabilities: [Double]) -> [Int] {
        var counts = [Int](repeating: 0, count: probabilities.count)
        var remaining = total
        var remainingMass = probabilities.reduce(0, +)
        for index in probabilities.indices {
            guard remaining > 0 else { break }
            if index == probabilities.count - 1 || remainingMass <= 0 {
                counts[index] = remaining
                remaining = 0
                break
            }
            let share = min(1, max(0, probabilities[index] / remainingMass))
            let drawn = binomial(trials: remaining, probability: share)
            counts[index] = drawn
            remaining -= drawn
            remainingMass -= probabilities[index]
        }
        return counts
    }

    /// An element chosen uniformly; the collection must not be empty.
    public mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }

    /// An integer in the closed range.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// Lowercase hex of `bytes` random bytes.
    public mutating func hex(bytes: Int) -> String {
        var out = ""
        for _ in 0..<bytes { out += String(format: "%02x", UInt8(truncatingIfNeeded: next())) }
        return out
    }

    /// A random version-4 style UUID string (deterministic under the seed).
    public mutating func uuid() -> String {
        let h = hex(bytes: 16)
        let c = Array(h)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-4" + String(c[13..<16]) + "-a"
            + String(c[17..<20]) + "-" + String(c[20..<32])
    }
}
