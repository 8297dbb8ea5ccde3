/// Turns byte ranges into Strings, reusing one String per distinct byte sequence. Label names
/// and most label values repeat on every line of an Envoy scrape, so this removes nearly all
/// String allocations from the parser's hot loop.
struct StringInterner {
    private var slots: [Int32]
    private var entries: [(hash: UInt64, bytes: [UInt8], string: String)] = []
    private var mask: Int

    init(capacity: Int = 1024) {
        var size = 1
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        mask = size - 1
    }

    mutating func string(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for index in start..<end { hash = (hash ^ UInt64(buffer[index])) &* 0x100_0000_01b3 }
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry < 0 { break }
            let candidate = entries[Int(entry)]
            if candidate.hash == hash, candidate.bytes.count == end - start, Self.equal(candidate.bytes, buffer, start, end) {
                return candidate.string
            }
            slot = (slot + 1) & mask
        }
        let bytes = Array(UnsafeBufferPointer(rebasing: buffer[start..<end]))
        let string = String(decoding: bytes, as: UTF8.self)
        // Very diverse inputs (unique values on every line) stop being interned past a limit.
        guard entries.count < 1 << 16 else { return string }
        slots[slot] = Int32(entries.count)
        entries.append((hash, bytes, string))
        if entries.count * 2 > slots.count { grow() }
        return string
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
