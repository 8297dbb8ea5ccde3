import Foundation
import MeshModel
import Testing

@Suite("Failure text")
struct FailureTextTests {
    @Test("the cause stays in view: whole when it fits, without queries, else the reason first")
    func compact() {
        let text = "proxy ratings.default http://127.0.81.4:15090/config_dump?resource=dynamic_active_secrets: HTTP 404"
        #expect(FailureText.compact(text, width: 200) == text)
        #expect(FailureText.compact(text, width: 80) == "proxy ratings.default http://127.0.81.4:15090/config_dump: HTTP 404")
        #expect(FailureText.compact(text, width: 40).hasPrefix("HTTP 404 — proxy ratings.default"))
        #expect(FailureText.causeFirst("istiod http://10.0.0.5:15014/debug/syncz: TLS: the certificate is bad") == "TLS: the certificate is bad — istiod http://10.0.0.5:15014/debug/syncz")
        #expect(FailureText.causeFirst("no source answered") == "no source answered")
    }

    @Test("wrapping breaks at blanks and cuts a word longer than the line")
    func wrap() {
        #expect(FailureText.wrap("aaa bbb ccc", width: 7) == ["aaa bbb", "ccc"])
        #expect(FailureText.wrap("abcdefghij", width: 4) == ["abcd", "efgh", "ij"])
        #expect(FailureText.wrap("a\n\nb", width: 4) == ["a", "", "b"])
    }
}

@Suite("Certificate rotation events")
struct RotationEventTests {
    @Test("two pods share an identity: a rotation names the certificate that pod held, and the pod")
    func sharedIdentity() {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        let spiffe = "spiffe://cluster.local/ns/default/sa/reviews"
        func leaf(_ serial: String, _ proxy: String, issued: Double) -> Certificate {
            Certificate(serial: serial, kind: .leaf, spiffeID: spiffe, notBefore: now.addingTimeInterval(issued), notAfter: now.addingTimeInterval(issued + 86400),
                        proxyIDs: [proxy])
        }
        let previous = MeshSnapshot(generatedAt: now, certificates: [leaf("aaaa1111", "reviews-v1-a.default", issued: -3600), leaf("bbbb2222", "reviews-v2-b.default", issued: -7200)])
        let next = MeshSnapshot(generatedAt: now.addingTimeInterval(2),
                                certificates: [leaf("aaaa1111", "reviews-v1-a.default", issued: -3600), leaf("cccc3333", "reviews-v2-b.default", issued: 0)])
        let events = EventDeriver.events(from: previous, to: next).filter { $0.kind == .certificate }
        #expect(events.count == 1)
        #expect(events.first?.message.hasPrefix("rotated on reviews-v2-b.default: replaces bbbb2222") == true, "\(events.map(\.message))")
    }
}
