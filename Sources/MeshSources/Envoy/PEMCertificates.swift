import Foundation
import MeshModel
import SwiftASN1
import X509

/// Decodes PEM bundles (the SDS secrets in a config dump) into model certificates, with their
/// kind: root (self-signed CA), intermediate (CA signed by another), leaf.
public enum PEMCertificates {
    public static func parse(_ pem: String, source: String) throws -> [MeshModel.Certificate] {
        let documents: [PEMDocument]
        do { documents = try PEMDocument.parseMultiple(pemString: pem) } catch {
            throw SourceError(source: source, reason: .unexpectedAnswer("unparsable PEM: \(error)"))
        }
        return try documents.map { document in
            let certificate: X509.Certificate
            do { certificate = try X509.Certificate(pemDocument: document) } catch {
                throw SourceError(source: source, reason: .unexpectedAnswer("unparsable certificate: \(error)"))
            }
            let isCA = (try? certificate.extensions.basicConstraints).map { constraints -> Bool in
                if case .isCertificateAuthority = constraints { return true }
                return false
            } ?? false
            let kind: CertificateKind = isCA ? (certificate.issuer == certificate.subject ? .root : .intermediate) : .leaf
            let spiffe = ((try? certificate.extensions.subjectAlternativeNames) ?? nil).flatMap { names in
                names.compactMap { name -> String? in
                    if case let .uniformResourceIdentifier(uri) = name, uri.hasPrefix("spiffe://") { return uri }
                    return nil
                }.first
            }
            return MeshModel.Certificate(
                serial: certificate.serialNumber.bytes.map { String(format: "%02x", $0) }.joined().trimmingLeadingZeroPairs,
                kind: kind, subject: certificate.subject.description.isEmpty ? nil : certificate.subject.description,
                spiffeID: spiffe, notBefore: certificate.notValidBefore, notAfter: certificate.notValidAfter)
        }
    }
}

extension String {
    /// Envoy prints serials without leading zero bytes; DER may carry one for sign.
    var trimmingLeadingZeroPairs: String {
        var text = Substring(self)
        while text.count > 2, text.hasPrefix("00") { text = text.dropFirst(2) }
        return String(text)
    }
}
