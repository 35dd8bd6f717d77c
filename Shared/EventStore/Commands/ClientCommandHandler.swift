import ClientDomain
import Errors
import Foundation
import Postgres

/// Who sent a command and which user action it belongs to; copied into every event.
public struct CommandMetadata: Sendable, Equatable {
    public var actor: Actor
    public var correlationId: String
    /// The id of what carried the command (the request id of the call that sent it).
    public var causationId: String?
    /// The W3C `traceparent` of the span handling the command (see `EventEnvelope.traceparent`).
    public var traceparent: String?

    public init(actor: Actor, correlationId: String, causationId: String? = nil, traceparent: String? = nil) {
        self.actor = actor
        self.correlationId = correlationId
        self.causationId = causationId
        self.traceparent = traceparent
    }
}

/// What handling a command did: the client's state afterwards and the events appended.
public struct CommandOutcome: Sendable, Equatable {
    /// The client after the command; nil only if it never existed.
    public var client: Client?
    /// The events appended (none when the command changed nothing).
    public var events: [StoredEvent]
}

/// Runs a client command: load the stream, decide, append with optimistic concurrency.
///
/// When another writer appended in between, the command is decided again on the new state
/// (up to `maxAttempts`, with jittered backoff), unless it carried an expected version, in which case it fails with
/// `preconditionFailed`: the caller's view is stale. Many concurrent updates of one client
/// therefore all land, none lost.
public struct ClientCommandHandler: Sendable {
    public var store: PostgresEventStore
    public var decider: ClientDecider
    public var wake: RelayWakeup?
    public var now: @Sendable () -> Date
    public var maxAttempts = 30

    public init(store: PostgresEventStore, decider: ClientDecider = ClientDecider(), wake: RelayWakeup? = nil,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.decider = decider
        self.wake = wake
        self.now = now
    }

    /// Decides and appends `command`.
    ///
    /// `alongside`, when given, runs inside the append's transaction with the client as it
    /// will be after the command (nil after a delete is not possible: a deleted client is
    /// passed with `isDeleted` set), so whatever it writes commits with the events or not at
    /// all. It is not called when the command changes nothing (no append happens); an error it
    /// throws ends handling without retry.
    public func handle(_ command: ClientCommand, metadata: CommandMetadata,
                       alongside: (@Sendable (PostgresConnection, Client) throws -> Void)? = nil) async throws -> CommandOutcome {
        var attempt = 0
        while true {
            attempt += 1
            let current = try Client.replay(try await store.load(streamId: command.clientId))
            let events = try await decider.decide(command, current: current, lookup: store)
            if events.isEmpty { return CommandOutcome(client: current, events: []) }

            let time = now()
            let baseVersion = current?.version ?? 0
            var envelopes: [EventEnvelope] = []
            var after = current
            for (index, event) in events.enumerated() {
                let envelope = EventEnvelope(type: event.type, schemaVersion: event.schemaVersion, streamId: command.clientId,
                                             streamVersion: baseVersion + Int64(index) + 1, tenantId: command.tenantId,
                                             occurredAt: time, actor: metadata.actor, correlationId: metadata.correlationId,
                                             causationId: metadata.causationId, data: try event.encode(),
                                             traceparent: metadata.traceparent)
                envelopes.append(envelope)
                if var client = after {
                    client.apply(event, at: time)
                    after = client
                } else if case .created(let created) = event {
                    after = Client(id: command.clientId, tenantId: command.tenantId, profile: created.profile, version: 1,
                                   createdAt: time, updatedAt: time, isDeleted: false, number: created.number,
                                   createdBy: metadata.actor)
                }
            }
            let before = UniqueClaim.claims(of: current?.profile, deleted: current?.isDeleted ?? true)
            let afterClaims = UniqueClaim.claims(of: after?.profile, deleted: after?.isDeleted ?? true)
            do {
                let write: (@Sendable (PostgresConnection) throws -> Void)?
                if let alongside, let client = after {
                    write = { connection in try alongside(connection, client) }
                } else {
                    write = nil
                }
                let last = try await store.append(envelopes, expectedVersion: baseVersion, claiming: afterClaims,
                                                  releasing: before, alongside: write)
                wake?.signal()
                let first = last - Int64(envelopes.count) + 1
                let stored = envelopes.enumerated().map { StoredEvent(position: first + Int64($0.offset), envelope: $0.element) }
                return CommandOutcome(client: after, events: stored)
            } catch PostgresEventStore.AppendConflict.claimTaken(let kind) {
                throw ClienteleError(.conflict, "A client with this \(kind) already exists", context: ["field": kind])
            } catch PostgresEventStore.AppendConflict.streamChanged {
                if command.expectedVersion != nil {
                    throw ClienteleError(.preconditionFailed, "The client has changed since the given version")
                }
                if attempt >= maxAttempts {
                    throw ClienteleError(.unavailable, "The client is being changed by many writers at once; try again")
                }
                // Jittered backoff, so writers that collided do not collide again in lockstep.
                let ceiling = min(1 << min(attempt, 6), 50)
                try await Task.sleep(for: .microseconds(Int.random(in: 0...(ceiling * 1000))))
            }
        }
    }
}
