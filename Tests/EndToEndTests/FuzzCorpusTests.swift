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
    func replay(_ target: String) throws {
        let corpus = PackagePaths.root.appendingPathComponent("Fuzz/Corpus/\(target)")
        let seeds = try FileManager.default.contentsOfDirectory(atPath: corpus.path)
        #expect(seeds.count >= 4, "\(target) has \(seeds.count) seeds")
        let process = Process()
        process.executableURL = try #require(Self.binary)
        process.arguments = [target, corpus.path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && text.contains("\(seeds.count) inputs, no crash"), "\(text)")
    }
}
