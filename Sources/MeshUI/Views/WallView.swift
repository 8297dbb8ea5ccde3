import Foundation
import MeshModel

/// The dashboard on a large terminal (160×48 or more): Overview, Services, Certificates and
/// Proxies at once, each in a titled panel, for a wall display nobody touches.
enum WallView {
    static let minimumWidth = 160
    static let minimumHeight = 48

    static func applies(_ state: AppState) -> Bool {
        state.dashboard && state.width >= minimumWidth && state.height >= minimumHeight && state.detail == nil
    }

    static func render(_ state: AppState, area: Rect, _ buffer: inout CellBuffer) {
        let (top, bottom) = area.splitTop(area.height / 2)
        let (overview, services) = top.splitLeft(area.width * 2 / 5)
        let (certificates, proxies) = bottom.splitLeft(area.width / 2)
        OverviewView.render(state, area: overview, &buffer)
        table(.services, state: state, area: services, &buffer)
        table(.certificates, state: state, area: certificates, &buffer)
        table(.proxies, state: state, area: proxies, &buffer)
    }

    /// One view's table in a titled box, unselected (nobody moves a cursor on a wall).
    static func table(_ view: ViewID, state: AppState, area: Rect, _ buffer: inout CellBuffer) {
        let rows = ViewModels.rows(state, view)
        buffer.box(area, title: "\(view.title) (\(rows.count))", glyphs: state.glyphs)
        let table = state.table(view)
        TableWidget.render(columns: ViewModels.columns(view), rows: rows, selected: nil, offset: 0, sortColumn: table.sortColumn,
                           reversed: table.reversed, area: area.inner, buffer: &buffer, glyphs: state.glyphs)
        if rows.isEmpty { buffer.put(state.snapshot == nil ? "waiting for data…" : "nothing to show", x: area.x + 2, y: area.y + 2, role: .muted, clip: area.inner) }
    }
}
