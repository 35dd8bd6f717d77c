import Foundation

/// A stream a projection parked: its events wait, in order, until an operator retries or
/// skips it (`clientctl quarantine`). Ids, versions and the reason only: never event data.
public struct ParkedStream: Codable, Sendable, Equatable {
    /// The projection name (`search`, `stats`, or a rebuild's `search.rebuild`).
    public var projection: String
    public var streamId: UUID
    public var tenantId: UUID
    /// The first parked version: the event that could not be applied.
    public var firstVersion: Int64
    /// The latest version waiting behind it.
    public var lastVersion: Int64
    /// How many events wait.
    public var events: Int64
    /// The first parked event's type.
    public var eventType: String
    /// Why the first event could not be applied (an error class, a constraint name).
    public var reason: String
    public var parkedAt: Date

    public init(projection: String, streamId: UUID, tenantId: UUID, firstVersion: Int64, lastVersion: Int64, events: Int64,
                eventType: String, reason: String, parkedAt: Date) {
        self.projection = projection
        self.streamId = streamId
        self.tenantId = tenantId
        self.firstVersion = firstVersion
        self.lastVersion = lastVersion
        self.events = events
        self.eventType = eventType
        self.reason = reason
        self.parkedAt = parkedAt
    }
}

/// An event an operator's skip passed over: it was never applied to the projection.
public struct PassedEvent: Codable, Sendable, Equatable {
    public var projection: String
    public var streamId: UUID
    public var version: Int64
    public var tenantId: UUID
    public var eventId: UUID
    public var eventType: String
    public var reason: String
    /// Who skipped it, as the operator named themselves.
    public var passedBy: String
    public var passedAt: Date

    public init(projection: String, streamId: UUID, version: Int64, tenantId: UUID, eventId: UUID, eventType: String,
                reason: String, passedBy: String, passedAt: Date) {
        self.projection = projection
        self.streamId = streamId
        self.version = version
        self.tenantId = tenantId
        self.eventId = eventId
        self.eventType = eventType
        self.reason = reason
        self.passedBy = passedBy
        self.passedAt = passedAt
    }
}

/// A projection service's quarantine (`GET` `InternalPaths.quarantine`).
public struct QuarantineReport: Codable, Sendable, Equatable {
    public var service: String
    public var parked: [ParkedStream]
    /// The latest events skipped, newest first.
    public var passed: [PassedEvent]

    public init(service: String, parked: [ParkedStream], passed: [PassedEvent]) {
        self.service = service
        self.parked = parked
        self.passed = passed
    }
}

/// What a retry or skip of a parked stream did (`POST` `InternalPaths.quarantineRetry` or
/// `quarantineSkip`).
public struct QuarantineRelease: Codable, Sendable, Equatable {
    public var projection: String
    public var streamId: UUID
    /// Events applied to the read model.
    public var applied: Int
    /// Events found already applied.
    public var duplicates: Int
    /// Events passed over (a skip only).
    public var passed: [PassedEvent]
    /// The stream's version in the read model afterwards (nil: it has none).
    public var version: Int64?

    public init(projection: String, streamId: UUID, applied: Int, duplicates: Int, passed: [PassedEvent], version: Int64?) {
        self.projection = projection
        self.streamId = streamId
        self.applied = applied
        self.duplicates = duplicates
        self.passed = passed
        self.version = version
    }
}
