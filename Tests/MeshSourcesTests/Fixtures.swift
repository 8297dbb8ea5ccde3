import Foundation

/// Locates `../shared/fixtures`; tests that need them skip with a message when it is absent.
enum Fixtures {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/fixtures")

    static var available: Bool { FileManager.default.fileExists(atPath: root.path) }

    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    static func data(_ relative: String) throws -> Data { try Data(contentsOf: url(relative)) }

    /// Every file below `relative` whose name matches.
    static func files(under relative: String, matching predicate: (String) -> Bool) -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: url(relative), includingPropertiesForKeys: nil) else { return [] }
        return enumerator.compactMap { $0 as? URL }.filter { predicate($0.lastPathComponent) }.sorted { $0.path < $1.path }
    }
}
