import ClientDomain
import Coordination
import Errors
import EventLog
import Foundation

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
///
/// A create is first decided without reading its stream, as for a fresh id: the unique
/// `(stream_id, stream_version)` refuses its append if the stream exists, and then, or if
/// deciding failed, it is decided again on the stored stream, so its answer is the one a
/// read first would have given. With `numbers`, a create's public number is drawn for the
/// batch its append is written in.
///
/// Every command's append, with its claims moved and whatever goes `alongside`, is written
/// with those of concurrent commands (`PostgresEventStore.append(_:)`, group commit).
public struct ClientCommandHandler: Sendable {
    public var store: PostgresEventStore
    public var decider: ClientDecider
    public var wake: RelayWakeup?
    /// Draws creates' public numbers (for creates that carry none); nil: creates get none.
    public var numbers: (any ClientNumberSource)?
    public var now: @Sendable () -> Date
    public var maxAttempts = 30

    public init(store: PostgresEventStore, decider: ClientDecider = ClientDecider(), wake: RelayWakeup? = nil,
                numbers: (any ClientNumberSource)? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.decider = decider
        self.wake = wake
        self.numbers = numbers
        self.now = now
    }

    /// Decides and appends `command`.
    ///
    /// `alongside`, when given, says what to write beside the events (an idempotency record,
    /// statements), from the client as it will be after the command (a deleted client is
    /// passed with `isDeleted` set): it commits with the events or not at all. It is not called
    /// when the command changes nothing (no append happens); an error it throws ends handling
    /// without retry, as does a failing statement it gives, and an idempotency key recorded
    /// first (`PostgresEventStore.AppendConflict.idempotencyKeyTaken`).
    public func handle(_ command: ClientCommand, metadata: CommandMetadata,
                       alongside: (@Sendable (Client) throws -> AppendBatcher.Alongside)? = nil) async throws -> CommandOutcome {
        var attempt = 0
        // A create's first attempt presumes a fresh stream instead of reading it.
        var presumeFresh: Bool
        if case .create = command { presumeFresh = true } else { presumeFresh = false }
        while true {
            attempt += 1
            var current: Client?
            let events: [ClientEvent]
            let sealing: AppendBatcher.Sealing?
            if presumeFresh {
                do {
                    events = try await decider.decide(command, current: nil, lookup: store)
                } catch {
                    // Report what deciding on the stored stream says (it may exist after all).
                    presumeFresh = false
                    continue
                }
                sealing = store.newSealing(for: command.clientId)
            } else {
                let loaded: (events: [EventEnvelope], sealing: AppendBatcher.Sealing?)
                do {
                    loaded = try await store.loadForAppend(streamId: command.clientId)
                } catch is PostgresEventStore.StreamErased {
                    // Its key is shredded: to every command, as a client that does not exist.
                    throw ClienteleError(.notFound, "Client not found")
                }
                current = try Client.replay(loaded.events)
                sealing = loaded.sealing
                events = try await decider.decide(command, current: current, lookup: store)
            }
            if events.isEmpty { return CommandOutcome(client: current, events: []) }

            let time = now()
            let afterState = events.reduce(current) { Self.applying($1, to: $0, command, metadata, time) }
            let slots = UniqueClaim.carerSlots(moving: events, from: current)
            let releasing = UniqueClaim.claims(of: current?.profile, deleted: current?.isDeleted ?? true).union(slots.releasing)
            let claiming = UniqueClaim.claims(of: afterState?.profile, deleted: afterState?.isDeleted ?? true).union(slots.claiming)
            let numbering: (any ClientNumberSource)? = if case .created(let created) = events.first, created.number == nil { numbers } else { nil }
            let request = AppendBatcher.Request(streamId: command.clientId, numbers: numbering) { [current, sealing] number in
                let (envelopes, after) = try Self.envelopes(for: Self.numbered(events, number), after: current, command, metadata, time)
                var writes = AppendBatcher.Writes(events: envelopes, claiming: claiming, releasing: releasing, sealing: sealing)
                if let alongside, let after { writes.alongside = try alongside(after) }
                return writes
            }
            do {
                let appended = try await store.append(request)
                wake?.signal()
                let after = Self.numbered(events, appended.number).reduce(current) { Self.applying($1, to: $0, command, metadata, time) }
                return CommandOutcome(client: after, events: appended.events)
            } catch PostgresEventStore.AppendConflict.claimTaken(let kind) where kind == UniqueClaim.carerSlotKind {
                throw ClienteleError(.conflict, "The health carer is already booked at an overlapping time",
                                     context: ["field": "healthCarerId"])
            } catch PostgresEventStore.AppendConflict.claimTaken(let kind) {
                throw ClienteleError(.conflict, "A client with this \(kind) already exists", context: ["field": kind])
            } catch PostgresEventStore.AppendConflict.streamChanged {
                try await retry(after: attempt, presumingFresh: &presumeFresh, command)
            }
        }
    }

    /// After a lost race (`streamChanged`): throws when the command must not be decided again,
    /// else waits as needed before the next attempt.
    private func retry(after attempt: Int, presumingFresh presumeFresh: inout Bool, _ command: ClientCommand) async throws {
        if presumeFresh {
            // The stream was not fresh: decide again on what is stored, at once.
            presumeFresh = false
            return
        }
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

    /// `events` with `number` (when given) as the public number of the create among them.
    private static func numbered(_ events: [ClientEvent], _ number: Int64?) -> [ClientEvent] {
        guard let number, case .created(var created) = events.first else { return events }
        var events = events
        created.number = number
        events[0] = .created(created)
        return events
    }

    /// The envelopes of `events` (versions after `current`'s) and the client after them.
    private static func envelopes(for events: [ClientEvent], after current: Client?, _ command: ClientCommand,
                                  _ metadata: CommandMetadata, _ time: Date) throws -> (envelopes: [EventEnvelope], value: Client?) {
        let baseVersion = current?.version ?? 0
        var envelopes: [EventEnvelope] = []
        var after = current
        for (index, event) in events.enumerated() {
            envelopes.append(EventEnvelope(type: event.type, schemaVersion: event.schemaVersion, streamId: command.clientId,
                                           streamVersion: baseVersion + Int64(index) + 1, tenantId: command.tenantId,
                                           occurredAt: time, actor: metadata.actor, correlationId: metadata.correlationId,
                                           causationId: metadata.causationId, data: try event.encode(),
                                           traceparent: metadata.traceparent))
            after = applying(event, to: after, command, metadata, time)
        }
        return (envelopes, after)
    }

    /// `client` after `event` (a create's event makes the client).
    private static func applying(_ event: ClientEvent, to client: Client?, _ command: ClientCommand,
                                 _ metadata: CommandMetadata, _ time: Date) -> Client? {
        if var client {
            client.apply(event, at: time)
            return client
        }
        guard case .created(let created) = event else { return nil }
        return Client(id: command.clientId, tenantId: command.tenantId, profile: created.profile, version: 1,
                      createdAt: time, updatedAt: time, isDeleted: false, number: created.number,
                      createdBy: metadata.actor)
    }
}
