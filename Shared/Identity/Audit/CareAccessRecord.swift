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

    /// The fewest runs per number for which a record's numbers are kept as ranges: eight
    /// numbers a run on average.
    static let numbersPerRange = 8

    /// `clientNumbers` as PostgreSQL's `int8multirange` text (`{[1,5001),[5003,5004)}`), when
    /// they make at most one run per `numbersPerRange` numbers (an export's page in number
    /// order); nil otherwise (a carer's list, one client), and for fewer than
    /// `numbersPerRange` numbers. Such a record is found by its ranges (one index entry),
    /// not by an index entry per number.
    public static func numberRanges(_ numbers: [Int64]) -> String? {
        guard numbers.count >= numbersPerRange else { return nil }
        let sorted = numbers.sorted()
        var runs: [(first: Int64, last: Int64)] = []
        for number in sorted {
            if let last = runs.last?.last, number == last || (last < Int64.max && number == last + 1) {
                runs[runs.count - 1].last = number
            } else {
                runs.append((number, number))
            }
            if runs.count * numbersPerRange > numbers.count { return nil }
        }
        // `(last + 1)` as an exclusive bound overflows at Int64.max: an inclusive bound there.
        return "{" + runs.map { $0.last == Int64.max ? "[\($0.first),\($0.last)]" : "[\($0.first),\($0.last + 1))" }
            .joined(separator: ",") + "}"
    }

    /// RFC 3339 with milliseconds, UTC (`Timestamp.format`: an `ISO8601DateFormatter` made per
    /// record was a large share of the gateway's CPU, inside the audit's group write that every
    /// read waits for; measured: docs/performance.md, design measurements).
    static func format(_ date: Date) -> String { Timestamp.format(date) }
}
