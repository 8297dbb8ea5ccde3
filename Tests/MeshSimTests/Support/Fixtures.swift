import Foundation

/// Locates `../shared/fixtures` (real outputs captured from Istio, Envoy, Kiali, …). Tests that
/// need them are skipped with a message when the directory is absent.
enum Fixtures {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/fixtures")

    static var available: Bool { FileManager.default.fileExists(atPath: root.path) }

    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    static func json(_ relative: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url(relative)), options: [.fragmentsAllowed])
    }
}

/// The package root, for tests that run the built `meshtop` binary.
enum PackagePaths {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `meshtop` executable next to the test bundle (same build configuration).
    static var meshtopBinary: URL? {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("meshtop"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("meshtop"),
            root.appendingPathComponent(".build/debug/meshtop"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
