import Synchronization

/// Decoded state bodies by row id. A state row's body never changes once written (only its
/// interval end does), so a decoded value stays valid; time travel then decodes only the rows
/// it has not seen, instead of thousands of JSON bodies per step.
final class StateCache: Sendable {
    private let values = Mutex<[Int64: StateValue]>([:])
    /// Past this many entries the cache starts over (bounded memory).
    let capacity: Int

    init(capacity: Int = 200_000) { self.capacity = capacity }

    func lookup(_ ids: [Int64]) -> [Int64: StateValue] {
        values.withLock { cache in
            var found: [Int64: StateValue] = [:]
            for id in ids { if let value = cache[id] { found[id] = value } }
            return found
        }
    }

    func store(_ decoded: [Int64: StateValue]) {
        values.withLock { cache in
            if cache.count + decoded.count > capacity { cache.removeAll(keepingCapacity: true) }
            cache.merge(decoded) { _, new in new }
        }
    }
}
