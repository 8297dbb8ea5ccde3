/// Turns byte ranges into Strings, reusing one String per distinct byte sequence. Label names
/// and most label values repeat on every line of an Envoy scrape, so this removes nearly all
/// String allocations from the parser's hot loop.
public struct StringInterner: Sendable {
    private var slots: [Int32]
    private var entries: [(hash: UInt64, bytes: [UInt8], string: String)] = []
    private var mask: Int

    public init(capacity: Int = 1024) {
        var size = 1
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        mask = size - 1
    }

    public mutating func string(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        intern(buffer, start, end).string
    }

    /// The String for the bytes and a small integer id (equal ids ⇔ equal bytes; -1 when the
    /// table is full and the string was not interned).
    public mutating func intern(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> (string: String, id: Int) {
        let hash = Self.hash(buffer, start, end)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry < 0 { break }
            let candidate = entries[Int(entry)]
            if candidate.hash == hash, candidate.bytes.count == end - start, Self.equal(candidate.bytes, buffer, start, end) {
                return (candidate.string, Int(entry))
            }
            slot = (slot + 1) & mask
        }
        let bytes = Array(UnsafeBufferPointer(rebasing: buffer[start..<end]))
        let string = String(decoding: bytes, as: UTF8.self)
        // Very diverse inputs (unique values on every line) stop being interned past a limit.
        guard entries.count < 1 << 16 else { return (string, -1) }
        let id = entries.count
        slots[slot] = Int32(id)
        entries.append((hash, bytes, string))
        if entries.count * 2 > slots.count { grow() }
        return (string, id)
    }

    /// A multiply-xorshift hash over 8-byte words (the parser's hot path hashes every label).
    @inline(__always) static func hash(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(end - start)
        guard let base = buffer.baseAddress else { return hash }
        var index = start
        while index + 8 <= end {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            hash = (hash ^ word) &* 0xBF58_476D_1CE4_E5B9
            hash ^= hash >> 29
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < end {
            tail |= UInt64(buffer[index]) << shift
            shift += 8
            index += 1
        }
        hash = (hash ^ tail) &* 0x94D0_49BB_1331_11EB
        return hash ^ (hash >> 31)
    }

    private static func equal(_ bytes: [UInt8], _ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var index = 0
        for position in start..<end {
            if bytes[index] != buffer[position] { return false }
            index += 1
        }
        return true
    }

    private mutating func grow() {
        slots = Array(repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for (index, entry) in entries.enumerated() {
            var slot = Int(truncatingIfNeeded: entry.hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }
}
