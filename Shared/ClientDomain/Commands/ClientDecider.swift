import Errors
import Foundation

/// Decides which events a command produces, given the client's current state.
///
/// Pure apart from the invariants' lookups: no clock (the caller stamps events), no store.
/// Errors are `ClienteleError`s whose messages are safe to show.
public struct ClientDecider: Sendable {
    public var invariants: [any ClientInvariant]
    public var limits: ClientFieldLimits

    public init(invariants: [any ClientInvariant] = ClientInvariants.standard, limits: ClientFieldLimits = ClientFieldLimits()) {
        self.invariants = invariants
        self.limits = limits
    }

    /// The events `command` produces against `current` (nil: no such stream). An update
    /// that changes nothing produces no events.
    public func decide(_ command: ClientCommand, current: Client?, lookup: any ClientLookup) async throws -> [ClientEvent] {
        switch command {
        case .create(let create):
            if current != nil {
                throw ClienteleError(.conflict, "A client with this id already exists", context: ["field": "id"])
            }
            let profile = create.profile.reconcilingContacts()
            try limits.validate(profile)
            try await checkInvariants(profile, clientId: create.clientId, tenantId: create.tenantId, lookup: lookup)
            return [.created(ClientCreated(profile: profile, number: create.number))]

        case .update(let update):
            let client = try live(current, tenantId: update.tenantId, expectedVersion: update.expectedVersion)
            let changes = update.changes.reconcilingContacts(with: client.profile).effective(against: client.profile)
            if changes.isEmpty { return [] }
            let proposed = client.profile.applying(changes)
            try limits.validate(proposed, previous: client.profile)
            try await checkInvariants(proposed, clientId: client.id, tenantId: client.tenantId, lookup: lookup)
            return [.profileChanged(ClientProfileChanged(changes: changes))]

        case .delete(let delete):
            _ = try live(current, tenantId: delete.tenantId, expectedVersion: delete.expectedVersion)
            return [.deleted(ClientDeleted())]

        case .erase(let erase):
            // Deleted or not, but not erased already: an erased stream is gone for every command.
            guard let client = current, !client.isErased, client.tenantId == erase.tenantId else {
                throw ClienteleError(.notFound, "Client not found")
            }
            return [.erased(ClientErased())]

        case .setPortalPassword(let set):
            _ = try live(current, tenantId: set.tenantId, expectedVersion: nil)
            return [.portalPasswordSet(ClientPortalPasswordSet())]

        case .recordActivity(let record):
            _ = try live(current, tenantId: record.tenantId, expectedVersion: nil)
            return [.activityRecorded(ClientActivityRecorded(submission: record.submission))]

        case .attachDocument(let attach):
            let client = try live(current, tenantId: attach.tenantId, expectedVersion: nil)
            return [try Self.attaching(attach.document, to: client)]

        case .removeDocument(let remove):
            let client = try live(current, tenantId: remove.tenantId, expectedVersion: nil)
            guard client.documents.contains(where: { $0.id == remove.documentId }) else {
                throw ClienteleError(.notFound, "Document not found")
            }
            return [.documentRemoved(ClientDocumentRemoved(documentId: remove.documentId))]

        case .changeCareRecord(let change):
            let client = try live(current, tenantId: change.tenantId, expectedVersion: nil)
            return try Self.changing(change, of: client).map { [.careRecordChanged($0)] } ?? []
        }
    }

    /// The event a care record command produces against `client` (nil when it changes
    /// nothing): adding needs a new id (and, for a task, its goal) within the kind's limit;
    /// changing needs the record; the record after the command must pass `CareRecordSchema`.
    /// An appointment's carer is booked twice only if the append's slot claims say so.
    static func changing(_ command: ChangeCareRecord, of client: Client) throws -> ClientCareRecordChanged? {
        let kind = command.kind
        if kind == .goalTask {
            guard let goalId = command.goalId, client.careRecords.goals[goalId] != nil else {
                throw ClienteleError(.notFound, "Goal not found")
            }
        }
        let list = client.careRecords.list(kind, goalId: command.goalId)
        let record: CareRecord
        switch command.change {
        case .added:
            guard list[command.id] == nil else {
                throw ClienteleError(.conflict, "This record exists already", context: ["field": "id"])
            }
            guard list.count < kind.maxCount else {
                throw ClienteleError(.conflict, "The limit of \(kind.maxCount) records of this kind is reached; remove one first")
            }
            record = CareRecord(id: command.id, fields: CareRecordSchema.defaults(kind)).merging(command.fields)
        case .changed:
            guard let existing = list[command.id] else { throw ClienteleError(.notFound, Self.notFound(kind)) }
            record = existing.merging(command.fields)
            if record == existing { return nil }
        }
        try CareRecordSchema.validate(record, kind)
        if kind == .appointment { try checkOverlap(record, in: list) }
        return ClientCareRecordChanged(kind: kind, change: command.change, goalId: kind == .goalTask ? command.goalId : nil,
                                       record: record, fields: command.fields.keys.sorted())
    }

    /// Refuses an appointment that overlaps another of the same client with the same carer
    /// (found here at once; across clients the append's slot claims refuse it).
    static func checkOverlap(_ appointment: CareRecord, in appointments: CareRecords.List) throws {
        let slots = Set(CareRecordSchema.carerSlots(of: appointment))
        guard !slots.isEmpty else { return }
        let carer = appointment.text("healthCarerId")
        for other in appointments.records where other.id != appointment.id && other.text("healthCarerId") == carer {
            if !slots.isDisjoint(with: CareRecordSchema.carerSlots(of: other)) {
                throw ClienteleError(.conflict, "The health carer is already booked at an overlapping time",
                                     context: ["field": "healthCarerId"])
            }
        }
    }

    static func notFound(_ kind: CareRecordKind) -> String {
        switch kind {
        case .goal: "Goal not found"
        case .goalTask: "Task not found"
        case .medication: "Medication not found"
        case .appointment: "Appointment not found"
        }
    }

    /// The event attaching `document`: a passport replaces the client's passport; a care
    /// document is refused beyond `DocumentReference.maxCareDocuments`, and an id the client
    /// has already is a conflict.
    static func attaching(_ document: DocumentReference, to client: Client) throws -> ClientEvent {
        guard document.isWellFormed else {
            throw ClienteleError(.invalidArgument, "The document reference is malformed", context: ["field": "document"])
        }
        guard !client.documents.contains(where: { $0.id == document.id }) else {
            throw ClienteleError(.conflict, "This document is attached already", context: ["field": "document"])
        }
        if document.use == .passport, let passport = client.documents.passport {
            return .documentReplaced(ClientDocumentReplaced(replacedId: passport.id, document: document))
        }
        if document.use == .care,
           client.documents.count(where: { $0.use == .care }) >= DocumentReference.maxCareDocuments {
            throw ClienteleError(.conflict, "The client has \(DocumentReference.maxCareDocuments) documents already; remove one first")
        }
        return .documentAttached(ClientDocumentAttached(document: document))
    }

    /// The client if it exists, is not deleted, belongs to `tenantId` and is at `expectedVersion`.
    ///
    /// Another tenant's client is reported as not found, exactly like a missing one, so a
    /// caller cannot learn that an id exists elsewhere.
    private func live(_ current: Client?, tenantId: UUID, expectedVersion: Int64?) throws -> Client {
        guard let client = current, !client.isDeleted, client.tenantId == tenantId else {
            throw ClienteleError(.notFound, "Client not found")
        }
        if let expectedVersion, expectedVersion != client.version {
            throw ClienteleError(.preconditionFailed, "The client has changed since the given version",
                                 context: ["currentVersion": String(client.version)])
        }
        return client
    }

    private func checkInvariants(_ profile: ClientProfile, clientId: UUID, tenantId: UUID, lookup: any ClientLookup) async throws {
        for invariant in invariants {
            try await invariant.check(profile, clientId: clientId, tenantId: tenantId, lookup: lookup)
        }
    }
}
