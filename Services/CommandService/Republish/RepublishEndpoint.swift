import Coordination
import EventStore
import Foundation
import HTTP
import InternalAPI
import Postgres
import ServiceRuntime

/// `POST`/`GET` `InternalPaths.republish`: starts a republish of the whole event store into
/// the events topic, or reports the latest one.
///
/// Any command-service instance answers; the relay holding the lease runs the republish
/// (`OutboxRelay`), woken at once. Starting while one runs reports the running one.
struct RepublishEndpoint: Sendable {
    let pool: PostgresPool
    let topic: String
    let wake: RelayWakeup
    let logger: Logger

    func start() async throws -> HTTPResponse {
        let topic = self.topic
        let (republish, started) = try await pool.withTransaction { connection in
            try LogRepublishes.start(reason: .operatorRequest, topic: topic, replacingLostLog: false, on: connection)
        }
        if started {
            logger.info("republish requested", ["epoch": String(republish.epoch), "events": String(republish.totalEvents)])
            wake.signal()
        }
        return try Self.json(Self.progress(republish), status: .accepted)
    }

    func status() async throws -> HTTPResponse {
        try Self.json(Self.progress(try await pool.withConnection { try LogRepublishes.latest(on: $0) }))
    }

    static func progress(_ republish: LogRepublish?) -> RepublishProgress {
        guard let republish else {
            return RepublishProgress(state: .idle, epoch: 0, reason: nil, topic: nil, eventsPublished: 0, totalEvents: 0,
                                     eventsPerSecond: 0, startedAt: nil, finishedAt: nil)
        }
        return RepublishProgress(state: RepublishProgress.State(rawValue: republish.state.rawValue) ?? .superseded,
                                 epoch: republish.epoch, reason: republish.reason, topic: republish.topic,
                                 eventsPublished: republish.eventsPublished, totalEvents: republish.totalEvents,
                                 eventsPerSecond: republish.state == .running ? republish.eventsPerSecond : 0,
                                 startedAt: republish.startedAt, finishedAt: republish.finishedAt)
    }

    static func json(_ value: RepublishProgress, status: HTTPStatus = .ok) throws -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(try InternalJSON.encoder().encode(value)))
    }
}
