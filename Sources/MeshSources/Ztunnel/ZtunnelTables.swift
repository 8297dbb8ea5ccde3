import Foundation

/// The tables `istioctl ztunnel-config workload|certificate|policy` prints from a ztunnel dump,
/// column for column (held against istioctl's goldens in the fixtures).
public enum ZtunnelTables {
    /// NAMESPACE POD NAME ADDRESS NODE WAYPOINT PROTOCOL, by namespace then name; `namespace`
    /// and `pod` narrow it as istioctl's flags do.
    public static func workloads(_ dump: ZtunnelConfigDump, namespace: String? = nil, pod: String? = nil) -> String {
        let rows = dump.workloads
            .filter { namespace == nil || $0.namespace == namespace }
            .filter { pod == nil || $0.name == pod }
            .sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
            .map { workload in
                [workload.namespace, workload.name, workload.addresses.first.map(address) ?? "", workload.node,
                 workload.waypoint.map { dump.serviceName(atAddress: $0) ?? address($0) } ?? "None", workload.protocol]
            }
        return TabTable.render([["NAMESPACE", "POD NAME", "ADDRESS", "NODE", "WAYPOINT", "PROTOCOL"]] + rows, padding: 1)
    }

    /// CERTIFICATE NAME TYPE STATUS VALID CERT SERIAL NUMBER NOT AFTER NOT BEFORE: a row per
    /// certificate of each identity's chain (Leaf, Intermediate…, Root by position), one `NA`
    /// row for an identity without a certificate; the serial in hex, valid from `now`.
    public static func certificates(_ dump: ZtunnelConfigDump, now: Date = Date()) -> String {
        var rows: [[String]] = []
        for entry in dump.certificates {
            let chain = entry.chain + entry.roots
            guard !chain.isEmpty else {
                rows.append([entry.identity, "NA", entry.stateWord, "false", "NA", "NA", "NA"])
                continue
            }
            for (position, certificate) in chain.enumerated() {
                let type = position == 0 ? "Leaf" : position == chain.count - 1 ? "Root" : "Intermediate"
                let valid = certificate.validFrom.map { $0 <= now } == true && certificate.expiration.map { now < $0 } == true
                rows.append([entry.identity, type, entry.stateWord, valid ? "true" : "false", hex(decimal: certificate.serialNumber),
                             certificate.expiration.map(stamp) ?? "NA", certificate.validFrom.map(stamp) ?? "NA"])
            }
        }
        return TabTable.render([["CERTIFICATE NAME", "TYPE", "STATUS", "VALID CERT", "SERIAL NUMBER", "NOT AFTER", "NOT BEFORE"]] + rows, padding: 5)
    }

    /// NAMESPACE POLICY NAME ACTION SCOPE, in the dump's order.
    public static func policies(_ dump: ZtunnelConfigDump) -> String {
        TabTable.render([["NAMESPACE", "POLICY NAME", "ACTION", "SCOPE"]] + dump.policies.map { [$0.namespace, $0.name, $0.action, $0.scope] }, padding: 1)
    }

    /// An address without its network (`network1/10.244.2.54` → `10.244.2.54`).
    static func address(_ text: String) -> String { String(text.split(separator: "/", omittingEmptySubsequences: false).last ?? "") }

    static func stamp(_ date: Date) -> String { date.formatted(.iso8601) }

    /// A decimal serial (128 bits and more) in lower-case hex, as Go's `%x` of a big.Int.
    public static func hex(decimal: String) -> String {
        var digits = decimal.compactMap { $0.wholeNumberValue }
        guard !digits.isEmpty else { return "" }
        // X.509 serials are at most 20 bytes (49 digits); a longer one is no serial and is shown
        // as written rather than converted in quadratic time.
        guard digits.count <= 64 else { return decimal }
        var out: [Character] = []
        while !(digits.count == 1 && digits[0] == 0) {
            var remainder = 0, quotient: [Int] = []
            for digit in digits {
                let value = remainder * 10 + digit
                let next = value / 16
                remainder = value % 16
                if !(quotient.isEmpty && next == 0) { quotient.append(next) }
            }
            out.append(Character(String(remainder, radix: 16)))
            digits = quotient.isEmpty ? [0] : quotient
        }
        return out.isEmpty ? "0" : String(out.reversed())
    }
}
