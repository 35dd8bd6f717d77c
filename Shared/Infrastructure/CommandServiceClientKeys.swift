import Crypto
import Errors
import EventLog
import Foundation
import HTTP
import InternalAPI
import JSON
import ServiceRuntime

/// The client data keys as the command service hands them out (`InternalPaths.clientKeys`,
/// internal token): how the projections and crm-sync open sealed events. Put behind a
/// `CachedClientKeys` (`ServiceSetup.clientKeys()`), so a batch asks only for the keys it
/// does not hold.
///
/// Asks in questions of at most `ClientKeysQuery.maxStreams` streams. Any failure (the
/// command service down, an error answer, an answer that cannot be read) throws: the caller
/// retries the batch later, and never takes it for a missing key.
public struct CommandServiceClientKeys: ClientKeySource {
    public let baseURL: String
    public let token: InternalToken
    public let http: HTTPClient

    public init(baseURL: String, token: InternalToken, http: HTTPClient) {
        self.baseURL = baseURL
        self.token = token
        self.http = http
    }

    public func keys(for streamIds: [UUID]) async throws -> [UUID: ClientKeyState] {
        var states: [UUID: ClientKeyState] = [:]
        var start = 0
        while start < streamIds.count {
            let part = Array(streamIds[start..<min(start + ClientKeysQuery.maxStreams, streamIds.count)])
            start += part.count
            for (id, entry) in try await ask(part).keys {
                switch entry {
                case .key(let raw):
                    guard let key = AESGCM(key: raw) else { throw Self.unreadable("a key of the wrong length") }
                    states[id] = .key(key)
                case .erased: states[id] = .erased
                case .unknown: states[id] = .unknown
                }
            }
        }
        return states
    }

    private func ask(_ streamIds: [UUID]) async throws -> ClientKeysAnswer {
        let response = try await http.internalPOST(baseURL + InternalPaths.clientKeys, token: token,
                                                    json: ClientKeysQuery(streamIds: streamIds).json.serialized())
        guard response.status.code == 200 else {
            throw ClienteleError(.unavailable, "The command service cannot hand out client data keys now",
                                 internalDetail: "command-service answered \(response.status.code)")
        }
        do {
            return try ClientKeysAnswer(json: JSONParser.parse(response.body))
        } catch {
            throw Self.unreadable("undecodable answer")
        }
    }

    private static func unreadable(_ detail: String) -> ClienteleError {
        ClienteleError(.unavailable, "The command service's client keys cannot be read", internalDetail: detail)
    }
}
