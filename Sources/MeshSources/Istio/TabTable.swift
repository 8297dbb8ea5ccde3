/// Rows laid out as Go's `text/tabwriter` lays out istioctl's tables: each column as wide as its
/// widest cell plus `padding` spaces, the last column unpadded.
public enum TabTable {
    public static func render(_ table: [[String]], padding: Int) -> String {
        guard let first = table.first else { return "" }
        var widths = [Int](repeating: 0, count: first.count)
        for cells in table { for (index, cell) in cells.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) } }
        return table.map { cells in
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + padding)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }
}
