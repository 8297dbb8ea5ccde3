import MeshModel
/// Help, raw JSON and "why" boxes drawn over the current view.
enum Overlays {
    static func render(_ overlay: Overlay, state: AppState, area: Rect, _ buffer: inout CellBuffer) {
        switch overlay {
        case .help:
            let keys = state.dashboard ? AppState.dashboardKeyHelp : AppState.keyHelp(for: state.view, detail: state.detail != nil)
            let lines = keys.map { key, text in key.padding(toLength: 14, withPad: " ", startingAt: 0) + text }
            box(title: "Keys — \(state.view.title)", lines: lines, state: state, area: area, &buffer)
        case let .raw(title, text, offset):
            let lines = Array(text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropFirst(offset))
            box(title: "\(title) (j/k scroll, Esc closes)", lines: lines, state: state, area: area, &buffer, fill: true)
        case let .why(title, text):
            box(title: "Why: \(title)", lines: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init), state: state, area: area, &buffer)
        case let .confirm(action):
            let question = FailureText.wrap(action.question, width: min(76, area.width - 8))
            box(title: "Confirm", lines: question + ["", "y  yes, do it        any other key  cancel"], state: state, area: area, &buffer)
        }
    }

    static func box(title: String, lines: [String], state: AppState, area: Rect, _ buffer: inout CellBuffer, fill: Bool = false) {
        let width = fill ? area.width - 4 : min(area.width - 4, max(title.count + 6, (lines.map(\.count).max() ?? 0) + 4))
        let height = fill ? area.height - 2 : min(area.height - 2, lines.count + 2)
        let rect = area.centred(width: width, height: height)
        buffer.fill(rect, role: .dialog)
        buffer.box(rect, title: title, glyphs: state.glyphs)
        let inner = rect.inner
        for (index, line) in lines.prefix(inner.height).enumerated() {
            buffer.put(" " + line, x: inner.x, y: inner.y + index, role: .dialog, clip: inner)
        }
    }
}
