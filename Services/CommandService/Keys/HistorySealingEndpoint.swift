import EventStore
import Foundation
import HTTP
import InternalAPI
import Postgres

/// `POST` `InternalPaths.encryptHistory`: one step of sealing the events stored before
/// sealing existed (`ClientKeyStore.sealHistory`), `HistorySealingStep.streamsPerStep` streams
/// in one transaction. The caller steps on with the answer's `lastStream` until it is nil,
/// then republishes the store so the log carries the sealed events.
struct HistorySealingEndpoint: Sendable {
    let keys: ClientKeyStore

    static let maxBodyBytes = 1024

    func respond(to request: HTTPRequest) async throws -> HTTPResponse {
        let step = try await request.decodeJSON(HistorySealingStep.Request.self, maxBytes: Self.maxBodyBytes,
                                                decoder: InternalJSON.decoder())
        let keys = self.keys
        let done = try await keys.pool.withTransaction { connection in
            try keys.sealHistory(after: step.after, streams: HistorySealingStep.streamsPerStep, on: connection)
        }
        let answer = HistorySealingStep(lastStream: done.lastStream, streams: done.streams, eventsSealed: done.eventsSealed)
        return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"],
                            body: Array(try InternalJSON.encoder().encode(answer)))
    }
}
