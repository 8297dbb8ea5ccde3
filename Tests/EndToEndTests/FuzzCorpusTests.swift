import Foundation
import MeshTestSupport
import Testing

/// The fuzzers' seed corpora replayed through the same decoders with a normal build
/// (`meshtop-fuzz TARGET DIR`), so a seed that crashes fails `swift test` too. The libFuzzer
/// runs themselves are `Fuzz/run.sh` (a 20-second smoke per target in `.ci/run`).
@Suite("Fuzz corpora")
struct FuzzCorpusTests {
    static var binary: URL? {
        PackagePaths.meshtop.map { $0.deletingLastPathComponent().appendingPathComponent("meshtop-fuzz") }
            .flatMap { FileManager.default.isExecutableFile(atPath: $0.path) ? $0 : nil }
    }

    @Test("Every seed decodes without a crash", .enabled(if: binary != nil, "meshtop-fuzz is not built"),
          arguments: ["exposition", "envoy", "istiod", "pem", "apis"])
    func replay(_ target: String) async throws {
        let corpus = PackagePaths.root.appendingPathComponent("Fuzz/Corpus/\(target)")
        let seeds = try FileManager.default.contentsOfDirectory(atPath: corpus.path)
        #expect(seeds.count >= 4, "\(target) has \(seeds.count) seeds")
        let result = try await ProcessRunner.run(try #require(Self.binary), [target, corpus.path])
        #expect(result.status == 0 && result.text.contains("\(seeds.count) inputs, no crash"), "\(result.text)")
    }
}
