/// Small charts drawn with block glyphs.
public enum Sparkline {
    /// `values` scaled to `width` cells (the latest values when there are more).
    public static func text(_ values: [Double], width: Int, glyphs: Glyphs) -> String {
        let recent = Array(values.suffix(width))
        guard let high = recent.max(), width > 0 else { return String(repeating: " ", count: max(0, width)) }
        let low = min(0, recent.min() ?? 0)
        let span = high - low
        let levels = glyphs.levels
        let line = recent.map { value -> Character in
            guard span > 0 else { return value > 0 ? levels[levels.count / 2] : levels[0] }
            return levels[min(levels.count - 1, Int((value - low) / span * Double(levels.count - 1) + 0.5))]
        }
        return String(repeating: " ", count: width - line.count) + String(line)
    }
}

/// A horizontal bar: `share` of `width` filled.
public enum Bar {
    public static func text(_ share: Double, width: Int, glyphs: Glyphs) -> String {
        let filled = max(0, min(width, Int((share * Double(width)).rounded())))
        return String(repeating: glyphs.barFull, count: filled) + String(repeating: glyphs.barEmpty, count: width - filled)
    }
}
