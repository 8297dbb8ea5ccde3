import Synchronization

/// The table rows of each view, kept until what they are built from changes. Every key and
/// every frame asks for a view's rows (drawing, selection, paging); at 5,000 proxies building
/// them took longer than a frame, three times per key.
///
/// The key names every input: the view, the generation of the state's data (`AppState.rowInputs`,
/// renewed whenever the snapshot, timeline, trends or glyphs change), the filter, the sort, and
/// the second on the clock (ages and time left move with it).
final class RowCache: Sendable {
    struct Key: Equatable {
        var view: ViewID
        var inputs: Int
        var filter: String
        var sortColumn: Int?
        var reversed: Bool
        var second: Int
    }

    /// Per view: the filtered rows in the order the snapshot has them, and the sorted ones
    /// (a new sort reorders the first, it does not build them again).
    private let filtered = Mutex<[ViewID: (key: Key, rows: [TableRow])]>([:])
    private let sorted = Mutex<[ViewID: (key: Key, rows: [TableRow])]>([:])
    private static let generation = Atomic<Int>(0)

    /// A generation no state has used before.
    static func nextInputs() -> Int { generation.add(1, ordering: .relaxed).newValue }

    /// The rows for `key`: cached, or built (`build`, then `sort`) now and kept.
    func rows(_ key: Key, build: () -> [TableRow], sort: ([TableRow]) -> [TableRow]) -> [TableRow] {
        if let cached = sorted.withLock({ $0[key.view] }), cached.key == key { return cached.rows }
        var unsortedKey = key
        unsortedKey.sortColumn = nil
        unsortedKey.reversed = false
        let rows: [TableRow]
        if let cached = filtered.withLock({ $0[key.view] }), cached.key == unsortedKey {
            rows = cached.rows
        } else {
            rows = build()
            filtered.withLock { $0[key.view] = (unsortedKey, rows) }
        }
        let ordered = key.sortColumn == nil ? rows : sort(rows)
        sorted.withLock { $0[key.view] = (key, ordered) }
        return ordered
    }
}
