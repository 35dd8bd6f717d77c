import EventStore
import HTTP
import InternalAPI

/// `GET` `InternalPaths.status` on the command service: the outbox's backlog and the relay's
/// record of what it published, read from PostgreSQL at each call (for `clientctl status`).
struct OutboxStatusEndpoint: Sendable {
    let store: PostgresEventStore
    /// The events topic, whose published offsets are reported.
    let topic: String

    func respond() async throws -> HTTPResponse {
        let backlog = try await store.outboxBacklog()
        let published = try await store.publishedOffsets(topic: topic)
        let status = ServiceStatus(service: "command-service", outbox: OutboxStatus(
            entries: backlog.entries, exact: backlog.isExact, oldestAgeSeconds: backlog.oldestAgeSeconds,
            published: published.sorted { $0.key < $1.key }.map { OutboxStatus.PublishedOffset(partition: $0.key, nextOffset: $0.value) }))
        let body = try InternalJSON.encoder().encode(status)
        return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: Array(body))
    }
}
