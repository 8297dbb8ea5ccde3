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
