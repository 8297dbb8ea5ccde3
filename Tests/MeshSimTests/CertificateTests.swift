import Foundation
import SwiftASN1
import Testing
import X509
@testable import MeshSim

@Suite("Certificates")
struct CertificateTests {
    /// PEM blocks inside a config dump secret (base64 of the PEM text).
    static func pems(inSecret base64: String) throws -> [Certificate] {
        let text = String(decoding: Data(base64Encoded: base64)!, as: UTF8.self)
        return try PEMDocument.parseMultiple(pemString: text).map { try Certificate(pemDocument: $0) }
    }

    @Test("The secrets in config dumps parse with swift-certificates and form a root → intermediate → leaf chain")
    func chain() throws {
        var state = try SimHarness.state()
        state.advance(to: SimHarness.at(5))
        let proxy = SimHarness.proxyIndex(state, "reviews-v2")
        let dump = try SimHarness.json(try ConfigDumpRenderer.render(SimHarness.context(state, proxy: proxy, at: 5),
                                                                     query: ["resource": "dynamic_active_secrets"])) as! [String: Any]
        let secrets = (dump["configs"] as! [[String: Any]]).map { $0["secret"] as! [String: Any] }
        let chainB64 = (((secrets[0]["tls_certificate"] as! [String: Any])["certificate_chain"] as! [String: Any])["inline_bytes"] as! String)
        let rootB64 = (((secrets[1]["validation_context"] as! [String: Any])["trusted_ca"] as! [String: Any])["inline_bytes"] as! String)
        let chain = try Self.pems(inSecret: chainB64)
        let root = try Self.pems(inSecret: rootB64)[0]
        #expect(chain.count == 2)
        let leaf = chain[0], intermediate = chain[1]
        #expect(leaf.issuer == intermediate.subject)
        #expect(intermediate.issuer == root.subject && root.issuer == root.subject)
        #expect(root.publicKey.isValidSignature(intermediate.signature, for: intermediate))
        #expect(intermediate.publicKey.isValidSignature(leaf.signature, for: leaf))
        let sans = try leaf.extensions.subjectAlternativeNames
        #expect(sans.map { Array($0) } == [.uniformResourceIdentifier("spiffe://cluster.local/ns/default/sa/bookinfo-reviews")])
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(abs(leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore) - 86400) < 1)
        #expect(root.notValidAfter.timeIntervalSince(root.notValidBefore) > 9 * 365 * 86400)
        #expect(((secrets[0]["tls_certificate"] as! [String: Any])["private_key"] as! [String: Any])["inline_bytes"] as? String == "W3JlZGFjdGVkXQ==")

        // /certs reports the same serials and validity, days_until_expiration as a string.
        let certs = try SimHarness.json(EnvoyAdminRenderer.certs(SimHarness.context(state, proxy: proxy, at: 5))) as! [String: Any]
        let first = (certs["certificates"] as! [[String: Any]])[0]
        let leafDetails = (first["cert_chain"] as! [[String: Any]])[0]
        let rootDetails = (first["ca_cert"] as! [[String: Any]])[0]
        #expect(leafDetails["serial_number"] as? String == leaf.serialNumber.bytes.map { String(format: "%02x", $0) }.joined())
        #expect(rootDetails["serial_number"] as? String == root.serialNumber.bytes.map { String(format: "%02x", $0) }.joined())
        #expect(leafDetails["days_until_expiration"] as? String == "0")
        #expect(Int(rootDetails["days_until_expiration"] as! String)! > 3000)
        #expect((leafDetails["subject_alt_names"] as! [[String: String]]) == [["uri": "spiffe://cluster.local/ns/default/sa/bookinfo-reviews"]])
    }

    @Test("Leaves rotate once half their lifetime has passed")
    func rotation() throws {
        var state = try SimHarness.state { $0.certificates.leafLifetime = 600 }
        let proxy = SimHarness.proxyIndex(state, "details")
        let first = state.proxies[proxy].leaf!
        state.advance(to: SimHarness.at(301))
        let second = state.proxies[proxy].leaf!
        #expect(first.serialHex != second.serialHex)
        #expect(second.notBefore > first.notBefore)
        #expect(state.proxies.allSatisfy { proxy in
            let leaf = proxy.leaf!
            return SimHarness.at(301) < leaf.notBefore.addingTimeInterval(300 + 1)
        }, "no leaf is past its rotation point")
    }

    @Test("The same seed gives the same serials and keys")
    func deterministic() throws {
        let a = try SimHarness.state(), b = try SimHarness.state()
        #expect(a.ca.root.serialHex == b.ca.root.serialHex)
        #expect(a.proxies.map { $0.leaf!.serialHex } == b.proxies.map { $0.leaf!.serialHex })
    }
}
