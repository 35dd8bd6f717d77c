import Errors
import EventLog
import Foundation
import InternalAPI
import Postgres
import ServiceRuntime

extension ProjectionRunner {
    /// Applies `batch` in one transaction with its offsets, parking the events of parked
    /// streams and those the read model rejected; returns the outcome and what it parked.
    func applyWhole(_ batch: ProjectionBatch, invalid: Int, nextOffsets: [Int32: Int64]) async throws
        -> (outcome: ProjectionApplyOutcome, parked: [ProjectionQuarantine.Entry]) {
        let projection = configuration.projection
        let target = configuration.target
        let model = self.model
        let inTransaction = self.inTransaction
        return try await transaction(storing: nextOffsets) { connection in
            let pending = ProjectionOffsets.Pending(projection: projection, offsets: nextOffsets)
            var (outcome, storedOffsets) = batch.opened.isEmpty ? (ProjectionApplyOutcome(), false)
                : try model.apply(batch.opened, to: target, storing: pending, on: connection)
            outcome.invalid += invalid
            let parking = batch.behindParked + batch.entries(rejected: outcome.rejected)
            try Self.park(parking, projection: projection, outcome: &outcome, on: connection)
            if !storedOffsets { try ProjectionOffsets.store(projection, nextOffsets, on: connection) }
            try inTransaction?(connection, outcome)
            return (outcome, parking)
        }
    }

    /// Applies `batch` stream by stream, each under a savepoint, and parks the streams that
    /// fail; the offsets move past the whole batch. `failure` is how the whole batch failed:
    /// if it was `.unknown` and every stream fails, no event is to blame and the batch's
    /// `error` is thrown instead (the batch is retried).
    func applyByStream(_ batch: ProjectionBatch, invalid: Int, nextOffsets: [Int32: Int64], failure: ProjectionFailure,
                       error batchError: any Error) async throws -> (outcome: ProjectionApplyOutcome, parked: [ProjectionQuarantine.Entry]) {
        let projection = configuration.projection
        let target = configuration.target
        let model = self.model
        let inTransaction = self.inTransaction
        return try await transaction(storing: nextOffsets) { connection in
            var outcome = ProjectionApplyOutcome()
            outcome.invalid = invalid
            var parking = batch.behindParked
            let streams = batch.streams
            var failed = 0
            for indices in streams {
                let events = indices.map { batch.opened[$0] }
                do {
                    let streamOutcome = try connection.savepoint("projection_stream") {
                        try model.apply(events, to: target, storing: nil, on: connection).0
                    }
                    outcome.merge(streamOutcome)
                } catch {
                    let streamFailure = ProjectionFailure(classifying: error)
                    guard streamFailure == .event || streamFailure == .unknown else { throw error }
                    failed += 1
                    parking += batch.entries(indices, reason: ProjectionFailure.reason(for: error))
                }
            }
            if failure == .unknown && failed == streams.count && streams.count > 1 { throw batchError }
            parking += batch.entries(rejected: outcome.rejected)
            try Self.park(parking, projection: projection, outcome: &outcome, on: connection)
            try ProjectionOffsets.store(projection, nextOffsets, on: connection)
            try inTransaction?(connection, outcome)
            return (outcome, parking)
        }
    }

    /// Parks `entries` and notes them in `outcome` (counts, the last version per stream).
    static func park(_ entries: [ProjectionQuarantine.Entry], projection: String, outcome: inout ProjectionApplyOutcome,
                     on connection: PostgresConnection) throws {
        guard !entries.isEmpty else { return }
        try ProjectionQuarantine.park(projection, entries, on: connection)
        outcome.parkedCount += entries.count
        var last: [UUID: Int64] = [:]
        var order: [UUID] = []
        for entry in entries {
            let id = entry.event.envelope.streamId
            if last[id] == nil { order.append(id) }
            last[id] = max(last[id] ?? 0, entry.event.envelope.streamVersion)
        }
        outcome.parked += order.map { AppliedVersion(streamId: $0, version: last[$0] ?? 0) }
    }

    /// After a commit: remembers the streams parked, counts their events, and logs each newly
    /// parked stream once (ids, version and reason: no event data).
    func noteParked(_ entries: [ProjectionQuarantine.Entry]) {
        guard !entries.isEmpty else { return }
        let projection = configuration.projection
        let newlyParked: [ProjectionQuarantine.Entry] = state.withLock { state in
            var fresh: [ProjectionQuarantine.Entry] = []
            for entry in entries {
                let envelope = entry.event.envelope
                if state.parked[envelope.streamId] == nil { fresh.append(entry) }
                state.parked[envelope.streamId] = max(state.parked[envelope.streamId] ?? 0, envelope.streamVersion)
            }
            return fresh
        }
        parkedEvents.increment(by: Double(entries.count), projection)
        for entry in newlyParked {
            let envelope = entry.event.envelope
            logger.error("projection parked a stream: its events wait until an operator retries or skips it (clientctl quarantine)", [
                "projection": projection, "client_id": envelope.streamId.lowercasedString,
                "tenant_id": envelope.tenantId.lowercasedString, "version": String(envelope.streamVersion),
                "type": envelope.type, "reason": entry.reason,
                "partition": String(entry.partition), "offset": String(entry.offset),
            ])
        }
    }

    /// The highest parked version of `stream`; nil when it is not parked.
    public func parkedVersion(of stream: UUID) -> Int64? {
        state.withLock { $0.parked[stream] }
    }

    /// How many streams are parked.
    public var parkedStreamCount: Int { state.withLock { $0.parked.count } }

    /// The parked streams and the latest skipped events, as stored.
    public func quarantine() async throws -> (parked: [ParkedStream], passed: [PassedEvent]) {
        let projection = configuration.projection
        return try await pool.withConnection { connection in
            (try ProjectionQuarantine.streams(projection, on: connection), try ProjectionQuarantine.passed(projection, on: connection))
        }
    }

    /// Applies `stream`'s parked events again, in order, in one transaction, and takes the
    /// stream out of the quarantine if every one applies (or was applied already). Otherwise
    /// nothing changes and this throws `conflict` with the reason. `notFound` when the stream
    /// is not parked. No batch runs meanwhile.
    public func retryParked(_ stream: UUID) async throws -> QuarantineRelease {
        let projection = configuration.projection
        let target = configuration.target
        let model = self.model
        let outcome: ProjectionApplyOutcome = try await stepLock.withLock {
            let keyStates = try await streamKeys(stream)
            let outcome = try await pool.withTransaction { connection -> ProjectionApplyOutcome in
                let entries = try ProjectionQuarantine.entries(projection, stream: stream, forUpdate: true, on: connection)
                guard !entries.isEmpty else { throw Self.notParked }
                let outcome: ProjectionApplyOutcome
                do {
                    outcome = try connection.savepoint("projection_retry") {
                        try model.apply(EventSealing.open(entries.map(\.event), states: keyStates), to: target, storing: nil,
                                        on: connection).0
                    }
                } catch {
                    let failure = ProjectionFailure(classifying: error)
                    guard failure == .event || failure == .unknown else { throw error }
                    throw Self.stillFailing(ProjectionFailure.reason(for: error))
                }
                if let rejected = outcome.rejected.first { throw Self.stillFailing(rejected.reason) }
                if outcome.early > 0 { throw Self.stillFailing(Self.versionMissing) }
                try ProjectionQuarantine.release(projection, stream: stream, on: connection)
                return outcome
            }
            state.withLock { $0.parked[stream] = nil }
            return outcome
        }
        logger.warning("projection released a parked stream: its events applied", [
            "projection": projection, "client_id": stream.lowercasedString, "applied": String(outcome.appliedCount),
        ])
        committed(outcome)
        return QuarantineRelease(projection: projection, streamId: stream, applied: outcome.appliedCount,
                                 duplicates: outcome.duplicates, passed: [], version: outcome.applied.last?.version)
    }

    /// Takes `stream` out of the quarantine for good: applies each parked event that can be
    /// applied and passes over each one that cannot, recording it with `by` and the reason
    /// (`projection_passed_events`); the stream's version moves past a passed event when the
    /// read model has a row for it. `notFound` when the stream is not parked.
    ///
    /// A passed creation leaves the client out of this read model: its later events are
    /// rejected (no row to apply them to) and park the stream again.
    public func skipParked(_ stream: UUID, by: String) async throws -> QuarantineRelease {
        let projection = configuration.projection
        let target = configuration.target
        let model = self.model
        let (outcome, passed): (ProjectionApplyOutcome, [PassedEvent]) = try await stepLock.withLock {
            let keyStates = try await streamKeys(stream)
            let result = try await pool.withTransaction { connection -> (ProjectionApplyOutcome, [PassedEvent]) in
                let entries = try ProjectionQuarantine.entries(projection, stream: stream, forUpdate: true, on: connection)
                guard !entries.isEmpty else { throw Self.notParked }
                var outcome = ProjectionApplyOutcome()
                var passed: [PassedEvent] = []
                for entry in entries {
                    let reason: String
                    do {
                        let applied = try connection.savepoint("projection_skip") { () throws -> ProjectionApplyOutcome in
                            let applied = try model.apply(EventSealing.open([entry.event], states: keyStates), to: target, storing: nil,
                                                          on: connection).0
                            if let rejected = applied.rejected.first { throw Refused(reason: rejected.reason) }
                            if applied.early > 0 { throw Refused(reason: Self.versionMissing) }
                            return applied
                        }
                        outcome.merge(applied)
                        continue
                    } catch let refused as Refused {
                        reason = refused.reason
                    } catch {
                        let failure = ProjectionFailure(classifying: error)
                        guard failure == .event || failure == .unknown else { throw error }
                        reason = ProjectionFailure.reason(for: error)
                    }
                    let envelope = entry.event.envelope
                    try model.passOver(streamId: stream, version: envelope.streamVersion, in: target, on: connection)
                    try ProjectionQuarantine.recordPassed(projection, entry.event, reason: reason, by: by, on: connection)
                    passed.append(PassedEvent(projection: projection, streamId: stream, version: envelope.streamVersion,
                                              tenantId: envelope.tenantId, eventId: envelope.eventId, eventType: envelope.type,
                                              reason: reason, passedBy: by, passedAt: Date()))
                }
                try ProjectionQuarantine.release(projection, stream: stream, on: connection)
                return (outcome, passed)
            }
            state.withLock { $0.parked[stream] = nil }
            return result
        }
        for event in passed {
            logger.warning("projection skipped a parked event: it is not applied", [
                "projection": projection, "client_id": stream.lowercasedString, "version": String(event.version),
                "type": event.eventType, "reason": event.reason, "by": event.passedBy,
            ])
        }
        committed(outcome)
        return QuarantineRelease(projection: projection, streamId: stream, applied: outcome.appliedCount,
                                 duplicates: outcome.duplicates, passed: passed, version: outcome.applied.last?.version)
    }

    /// An event a skip could not apply, and why.
    private struct Refused: Error {
        var reason: String
    }

    static let versionMissing = "an earlier version of the stream is missing"
    static let notParked = ClienteleError(.notFound, "The stream is not parked")

    /// `stream`'s key state, for opening its parked events; `unavailable` when it cannot be had.
    private func streamKeys(_ stream: UUID) async throws -> [UUID: ClientKeyState] {
        do {
            return try await EventSealing.states(of: [stream], keys: keys)
        } catch {
            throw ClienteleError(.unavailable, "The client's data key cannot be had; try again later",
                                 internalDetail: "key source: \(error)")
        }
    }

    static func stillFailing(_ reason: String) -> ClienteleError {
        ClienteleError(.conflict, "The stream's parked events still cannot be applied; it stays parked", context: ["reason": reason])
    }
}
