import ClientDomain
import Foundation
import JSON

/// One entry of the care access audit: who read (or was refused) which care clients' which
/// sections, through which route, when, in which request.
///
/// Carries ids and names of sections only, never a client's data.
public struct CareAccessRecord: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        case allowed, denied
    }

    /// Assigned by the store (ascending); nil before it is written. The audit's cursor.
    public var id: Int64?
    public var at: Date
    public var userId: UUID
    public var roles: [String]
    /// The clients' company (nil when a denied read named no client of a known company).
    public var companyId: UUID?
    public var clientIds: [UUID]
    /// The clients' public numbers (the care API's ids), in the order of `clientIds`.
    public var clientNumbers: [Int64]
    /// The sections shown (`personalInfo`, `medicalInfo`, …; `list` for a list row's fields).
    public var sections: [String]
    /// The route pattern, as `GET /api/user/clientDetails/:id`.
    public var route: String
    public var requestId: String?
    public var correlationId: String?
    public var outcome: Outcome

    public init(id: Int64? = nil, at: Date, userId: UUID, roles: [String], companyId: UUID?, clientIds: [UUID],
                clientNumbers: [Int64], sections: [String], route: String, requestId: String?, correlationId: String?,
                outcome: Outcome) {
        self.id = id
        self.at = at
        self.userId = userId
        self.roles = roles
        self.companyId = companyId
        self.clientIds = clientIds
        self.clientNumbers = clientNumbers
        self.sections = sections
        self.route = route
        self.requestId = requestId
        self.correlationId = correlationId
        self.outcome = outcome
    }

    /// The record as the audit API and `clientctl audit export` show it (ids as text, `at` in
    /// RFC 3339 with milliseconds, absent values `null`).
    public var json: JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return .object([
            "id": id.map(JSONValue.int) ?? .null,
            "at": .string(Self.format(at)),
            "userId": .string(userId.lowercasedString),
            "roles": .array(roles.map(JSONValue.string)),
            "companyId": text(companyId?.lowercasedString),
            "clientIds": .array(clientNumbers.map { .string(String($0)) }),
            "sections": .array(sections.map(JSONValue.string)),
            "route": .string(route),
            "requestId": text(requestId),
            "correlationId": text(correlationId),
            "outcome": .string(outcome.rawValue),
        ])
    }

    /// RFC 3339 with milliseconds, UTC (`Timestamp.format`: an `ISO8601DateFormatter` made per
    /// record was a large share of the gateway's CPU, inside the audit's group write that every
    /// read waits for; measured: docs/performance.md, design measurements).
    static func format(_ date: Date) -> String { Timestamp.format(date) }
}
