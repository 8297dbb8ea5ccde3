import Foundation

/// Where the package and its built executables are, for tests and benchmarks that run them.
public enum PackagePaths {
    /// The package root (the directory of `Package.swift`).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the package: fixtures and benchmark generators.
    public static let shared: URL = root.deletingLastPathComponent().appendingPathComponent("shared")

    /// A built executable of this package: next to the running program (a benchmark, the test
    /// bundle), else in `.build/debug` or `.build/release`.
    public static func executable(_ name: String) -> URL? {
        let running = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [
            running.appendingPathComponent(name),
            Bundle.main.bundleURL.appendingPathComponent(name),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name),
            root.appendingPathComponent(".build/debug/\(name)"),
            root.appendingPathComponent(".build/release/\(name)"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// The `meshtop` executable, when built.
    public static var meshtop: URL? { executable("meshtop") }
}

/// `../shared/fixtures`: real outputs captured from Istio, Envoy, Kiali and others. Tests that
/// need them are skipped with a message when the directory is absent.
public enum Fixtures {
    public static let root = PackagePaths.shared.appendingPathComponent("fixtures")

    public static var available: Bool { FileManager.default.fileExists(atPath: root.path) }

    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    public static func data(_ relative: String) throws -> Data { try Data(contentsOf: url(relative)) }

    public static func json(_ relative: String) throws -> Any {
        try JSONSerialization.jsonObject(with: data(relative), options: [.fragmentsAllowed])
    }

    /// Every file below `relative` whose name matches, sorted by path.
    public static func files(under relative: String, matching predicate: (String) -> Bool) -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: url(relative), includingPropertiesForKeys: nil) else { return [] }
        return enumerator.compactMap { $0 as? URL }.filter { predicate($0.lastPathComponent) }.sorted { $0.path < $1.path }
    }
}
