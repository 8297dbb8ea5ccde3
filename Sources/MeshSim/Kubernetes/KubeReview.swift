import Foundation

/// A SelfSubjectAccessReview's question, from either encoding kubectl sends: JSON, or protobuf
/// (`kubectl auth can-i` posts `application/vnd.kubernetes.protobuf` whatever the server
/// advertised): the `k8s\0` magic, a `runtime.Unknown` envelope, and in its `raw` field the
/// review, whose spec's `resourceAttributes` holds the question.
struct KubeAccessQuestion: Equatable {
    var namespace: String?
    var verb: String
    var group: String
    var resource: String
    var subresource: String?
    var name: String?
    /// `nonResourceAttributes.path` (`kubectl auth can-i get /metrics`).
    var path: String?

    static func decode(_ body: [UInt8], contentType: String?) -> KubeAccessQuestion? {
        if contentType?.hasPrefix("application/vnd.kubernetes.protobuf") == true { return decodeProtobuf(body) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let spec = object["spec"] as? [String: Any] else { return nil }
        if let attributes = spec["resourceAttributes"] as? [String: Any] {
            func text(_ key: String) -> String? { (attributes[key] as? String).flatMap { $0.isEmpty ? nil : $0 } }
            return KubeAccessQuestion(namespace: text("namespace"), verb: text("verb") ?? "", group: text("group") ?? "",
                                      resource: text("resource") ?? "", subresource: text("subresource"), name: text("name"))
        }
        if let attributes = spec["nonResourceAttributes"] as? [String: Any] {
            return KubeAccessQuestion(verb: attributes["verb"] as? String ?? "", group: "", resource: "", path: attributes["path"] as? String)
        }
        return nil
    }

    /// Field numbers from k8s.io/api/authorization/v1/generated.proto and apimachinery's
    /// runtime/generated.proto.
    static func decodeProtobuf(_ body: [UInt8]) -> KubeAccessQuestion? {
        guard body.starts(with: [0x6B, 0x38, 0x73, 0x00]) else { return nil }
        let envelope = Protobuf.fields(body.dropFirst(4))
        guard let raw = envelope[2]?.first else { return nil }
        let review = Protobuf.fields(raw)
        guard let spec = review[2]?.first.map({ Protobuf.fields($0) }) else { return nil }
        func text(_ fields: [Int: [ArraySlice<UInt8>]], _ number: Int) -> String? {
            fields[number]?.first.map { String(decoding: $0, as: UTF8.self) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        if let attributes = spec[1]?.first.map({ Protobuf.fields($0) }) {
            return KubeAccessQuestion(namespace: text(attributes, 1), verb: text(attributes, 2) ?? "", group: text(attributes, 3) ?? "",
                                      resource: text(attributes, 5) ?? "", subresource: text(attributes, 6), name: text(attributes, 7))
        }
        if let attributes = spec[2]?.first.map({ Protobuf.fields($0) }) {
            return KubeAccessQuestion(verb: text(attributes, 2) ?? "", group: "", resource: "", path: text(attributes, 1))
        }
        return nil
    }

    /// The review as the API server answers it (JSON, which kubectl decodes by Content-Type).
    func answer(allowed: Bool, reason: String) -> JSONValue {
        let attributes: JSONValue = path != nil
            ? obj(("nonResourceAttributes", obj(("path", path.map(JSONValue.string)), ("verb", .string(verb)))))
            : obj(("resourceAttributes", obj(("namespace", namespace.map(JSONValue.string)), ("verb", .string(verb)),
                                             ("group", group.isEmpty ? nil : .string(group)), ("resource", .string(resource)),
                                             ("subresource", subresource.map(JSONValue.string)), ("name", name.map(JSONValue.string)))))
        return obj(("kind", "SelfSubjectAccessReview"), ("apiVersion", "authorization.k8s.io/v1"),
                   ("metadata", obj(("creationTimestamp", .null))), ("spec", attributes),
                   ("status", obj(("allowed", .bool(allowed)), ("reason", reason.isEmpty ? nil : .string(reason)))))
    }
}

/// Just enough protobuf to read length-delimited fields: varints are skipped, nested messages
/// and strings returned as byte slices by field number.
enum Protobuf {
    static func fields(_ bytes: ArraySlice<UInt8>) -> [Int: [ArraySlice<UInt8>]] {
        var result: [Int: [ArraySlice<UInt8>]] = [:]
        var index = bytes.startIndex
        while index < bytes.endIndex {
            guard let key = varint(bytes, &index) else { break }
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: guard varint(bytes, &index) != nil else { return result }
            case 1: index += 8
            case 5: index += 4
            case 2:
                guard let length = varint(bytes, &index), length <= UInt64(bytes.endIndex - index) else { return result }
                let end = index + Int(length)
                result[number, default: []].append(bytes[index..<end])
                index = end
            default: return result
            }
        }
        return result
    }

    static func varint(_ bytes: ArraySlice<UInt8>, _ index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.endIndex, shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}
