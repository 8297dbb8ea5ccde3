#if FUZZING
/// libFuzzer's side (built with `-sanitize=fuzzer -DFUZZING`). SwiftPM links an executable
/// target's entry point as `meshtop_fuzz_main`, so libFuzzer's own `main` is not used: this
/// entry point hands the command line to `LLVMFuzzerRunDriver`, which runs the usual libFuzzer
/// driver with `fuzzOneInput` as the target. The target is chosen from `MESHTOP_FUZZ_TARGET`.
nonisolated(unsafe) private var selectedTarget: FuzzTarget?

@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let target = selectedTarget ?? FuzzTarget.fromEnvironment()
    selectedTarget = target
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    target.run(bytes)
    return 0
}

@_cdecl("meshtop_fuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    selectedTarget = FuzzTarget.fromEnvironment()
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
}
#endif
