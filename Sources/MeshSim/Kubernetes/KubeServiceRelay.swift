import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The service proxy's far side: one GET to the real server a simulated Service stands for
/// (a Prometheus on loopback), its answer passed back as the API server passes it, or a 503 in
/// the API server's words when nothing answers.
enum KubeServiceRelay {
    static func fetch(_ url: String, headers: [(String, String)]) async -> SimResponse {
        guard let target = URL(string: url) else {
            return KubeAPIRouter.status(503, "ServiceUnavailable", "error trying to reach service: bad URL \(url)")
        }
        var request = URLRequest(url: target, timeoutInterval: 10)
        for (name, value) in headers where ["accept", "content-type"].contains(name.lowercased()) { request.setValue(value, forHTTPHeaderField: name) }
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as? HTTPURLResponse
            return SimResponse(status: http?.statusCode ?? 502, contentType: http?.value(forHTTPHeaderField: "Content-Type") ?? "text/plain", body: Array(data))
        } catch {
            return KubeAPIRouter.status(503, "ServiceUnavailable", "error trying to reach service: \(error.localizedDescription)")
        }
    }
}
