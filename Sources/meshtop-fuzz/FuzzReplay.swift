#if !FUZZING
import Foundation

/// Without libFuzzer, `meshtop-fuzz TARGET PATH…` runs every file (or every file in a folder)
/// through the target once: the seed corpora and any crash reproducer can be replayed with a
/// normal build, and `swift test` does so for the corpora in `Fuzz/Corpus`.
@main
struct FuzzReplay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            print("usage: meshtop-fuzz \(names) FILE|DIR…  (libFuzzer build: see Fuzz/README.md)")
            exit(2)
        }
        var count = 0
        for path in arguments.dropFirst() {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    print("meshtop-fuzz: cannot read \(file)")
                    exit(1)
                }
                target.run([UInt8](data))
                count += 1
            }
        }
        print("meshtop-fuzz \(name): \(count) inputs, no crash")
    }

    static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [path] }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { "\(path)/\($0)" }
    }
}
#endif
