import Foundation
import Testing
@testable import MeshSources

@Suite("Secret redaction")
struct SecretRedactionTests {
    @Test("Route headers named Authorization, private keys and passwords are redacted in stored config text")
    func configText() throws {
        let dump = """
            {"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.RoutesConfigDump.DynamicRouteConfig","route_config":{
              "name":"9080","request_headers_to_add":[{"header":{"key":"Authorization","value":"Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig"}},
                                                      {"header":{"key":"x-team","value":"payments"}}],
              "virtual_hosts":[{"name":"reviews","domains":["reviews"],"routes":[{"match":{"prefix":"/"},"route":{"cluster":"outbound|9080||reviews"},
                "request_headers_to_add":[{"header":{"key":"proxy-authorization","value":"Basic dXNlcjpwYXNzd29yZA=="}}]}]}],
              "tls":{"private_key":{"inline_bytes":"LS0tLS1CRUdJTi=="},"password":"hunter2"}}}]}
            """
        let document = try ConfigText.proxyRoutes([Array(dump.utf8)], namespace: "default", pod: "reviews-v1")
        for secret in ["eyJhbGciOiJSUzI1NiJ9", "dXNlcjpwYXNzd29yZA", "LS0tLS1CRUdJTi", "hunter2"] {
            #expect(!document.text.contains(secret), "\(secret) in\n\(document.text)")
        }
        #expect(document.text.contains("[redacted]") && document.text.contains("payments"), "non-secret headers stay:\n\(document.text)")
    }

    @Test("PEM private keys and bearer credentials inside free text")
    func text() {
        let pem = "cert\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBQ=\n-----END EC PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
        let redacted = SecretRedaction.redact(text: pem)
        #expect(!redacted.contains("MHcCAQEEIBQ") && redacted.contains("MIIB") && redacted.contains("BEGIN EC PRIVATE KEY"))
        #expect(SecretRedaction.redact(text: "curl -H 'Authorization: Bearer abcdefgh12345678'") == "curl -H 'Authorization: Bearer [redacted]'")
        #expect(SecretRedaction.redact(text: "plain text") == "plain text")
    }

    @Test("URLs lose the password of their user info; tokens print as [redacted]")
    func urlsAndCredentials() {
        #expect(SecretRedaction.url("https://admin:pa55@istiod:15014/debug") == "https://admin:[redacted]@istiod:15014/debug")
        #expect(SecretRedaction.url("http://127.0.0.1:15000/stats?x=a@b") == "http://127.0.0.1:15000/stats?x=a@b")
        let credential = Credential("s3cr3t")
        #expect("\(credential)" == "[redacted]" && String(reflecting: credential) == "[redacted]")
        var dumped = ""
        dump(credential, to: &dumped)
        #expect(!dumped.contains("s3cr3t"), "\(dumped)")
    }
}
