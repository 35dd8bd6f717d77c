import Errors
import EventStore
import HTTP
import InternalAPI

/// `POST` `InternalPaths.clientKeys`: the data keys of the streams asked, read from
/// `client_keys` now (no cache, so a shred reaches the next question), for the readers of
/// the log. Internal token only; the answer holds secrets and is never logged.
struct ClientKeysEndpoint: Sendable {
    let keys: ClientKeyStore

    /// 5,000 ids of 36 characters, quoted, with commas, fit.
    static let maxBodyBytes = 256 * 1024

    func respond(to request: HTTPRequest) async throws -> HTTPResponse {
        let query = try await request.decodeJSON(maxBytes: Self.maxBodyBytes) { value throws(JSONFieldError) in
            try ClientKeysQuery(json: value)
        }
        guard query.streamIds.count <= ClientKeysQuery.maxStreams else {
            throw ClienteleError(.invalidArgument, "At most \(ClientKeysQuery.maxStreams) streams per question",
                                 context: ["field": "ids"])
        }
        let stored = try await keys.storedKeys(query.streamIds)
        var answer = ClientKeysAnswer(keys: [:])
        for id in query.streamIds {
            switch stored[id] {
            case .key(let raw)?: answer.keys[id] = .key(raw)
            case .erased?: answer.keys[id] = .erased
            case nil: answer.keys[id] = .unknown
            }
        }
        return .json(status: .ok, object: answer.json)
    }
}
