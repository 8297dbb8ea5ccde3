import ArgumentParser
import Foundation
import MeshSim

/// The simulator's hostile modes, shared by `meshtop sim` and `meshtop demo`: misbehaving admin
/// APIs and names that try to attack the terminal.
struct SimFaultOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Misbehaving proxies: KIND:FRACTION[,…] with KIND one of \(FaultKind.allCases.map(\.rawValue).joined(separator: ", ")).",
        discussion: "FRACTION is the share of proxies affected; kinds take disjoint proxies, chosen by --seed."))
    var faults: String?
    @Option(help: "When the faults start, after the simulator starts (e.g. 30s).") var faultsAt: String = "0"
    @Option(help: "How long the faults last (default: until the simulator stops).") var faultsFor: String?
    @Flag(help: "Give services, labels, route names and versions escape sequences, control characters and over-long text.")
    var hostileNames = false

    func apply(to options: inout SimOptions) throws {
        do {
            options.faults = try faults.map { try FaultSpec.parse(list: $0) } ?? []
            options.faultsAt = try Duration.seconds(parsing: faultsAt, context: "--faults-at")
            options.faultsFor = try faultsFor.map { try Duration.seconds(parsing: $0, context: "--faults-for") }
        } catch let error as SimError {
            throw ValidationError(error.description)
        }
        options.hostileNames = hostileNames
    }
}
