import Foundation
import MeshModel

/// Operator actions (product.md §5): always asked first, refused when read-only or in the past.
extension AppState {
    /// Asks to confirm an operator action; the dialog names the target.
    public mutating func confirm(_ action: OperatorAction) {
        overlay = .confirm(action)
    }

    /// The proxy an action would act on: the open proxy detail, or the selected Proxies row.
    func selectedProxyForAction() -> Proxy? {
        let id: String?
        if let detail, detail.view == .proxies { id = detail.key } else if view == .proxies, detail == nil { id = selectedRow?.key } else { id = nil }
        return id.flatMap { id in snapshot?.proxies.first { $0.id == id } }
    }

    /// Opens the confirmation for `kind` on the selected proxy, or says why it cannot.
    mutating func askAction(_ kind: OperatorAction.Kind) -> [Effect] {
        guard let proxy = selectedProxyForAction() else {
            if view == .proxies { showToast("select a proxy first") }
            return []
        }
        guard !readOnly else {
            showToast("read-only: operator actions are disabled (dashboard or --readonly)", seconds: 4)
            return []
        }
        guard travel == nil else {
            showToast("operator actions act on the live mesh: ] back to live first", seconds: 4)
            return []
        }
        guard let admin = proxy.adminURL else {
            showToast("\(proxy.id): no admin address known")
            return []
        }
        let action = OperatorAction(kind: kind, proxyID: proxy.id, adminURL: admin, mesh: proxy.origin ?? .istioEnvoy)
        if let reason = action.unsupportedReason {
            showToast(reason, seconds: 4)
            return []
        }
        confirm(action)
        return []
    }
}
