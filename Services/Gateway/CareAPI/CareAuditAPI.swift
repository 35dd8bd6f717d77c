import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import JSON
import ServiceRuntime

/// `GET /api/audit/client-access`: the care access audit, for `care.audit.read`, oldest first.
///
/// `clientId` (a client's number), `userId`, `from` and `to` (RFC 3339 or `YYYY-MM-DD`; `to`
/// exclusive), `cursor` (the previous page's `nextCursor`), `limit` (1–1000, default 100).
/// A caller sees its companies' records (every company's with `companies.manage`). Answers
/// `{success, data: {records: [...], nextCursor}}`; `nextCursor` is null on the last page.
struct CareAuditAPI: Sendable {
    let authenticator: SessionAuthenticator
    let log: CareAccessLog

    static let path = "/api/audit/client-access"
    static let maxLimit = 1000

    func register(on setup: ServiceSetup) {
        setup.route(.GET, Self.path, APIErrorRendering.wrap(records, rendering: CareClientView.error))
    }

    func records(_ request: HTTPRequest) async throws -> HTTPResponse {
        let access = CareAccess(try await authenticator.authenticate(request))
        guard access.can(Permission.careAuditRead) else { throw CareClientsAPI.forbidden }
        var query = CareAccessLog.Query(companyIds: access.actsInEveryCompany ? nil : Array(access.companyIds))
        var issues: [CareIssue] = []
        func value<T>(_ name: String, _ expected: String, _ parse: (String) -> T?) -> T? {
            guard let text = request.queryParameter(name), !text.isEmpty else { return nil }
            guard let parsed = parse(text) else {
                issues.append(CareIssue(name, "must be " + expected))
                return nil
            }
            return parsed
        }
        query.clientNumber = value("clientId", "a client id", CareClientView.number(fromClientId:))
        query.userId = value("userId", "a user id") { UUID(canonical: $0) }
        query.from = value("from", "an RFC 3339 date-time or YYYY-MM-DD", Timestamp.parse)
        query.to = value("to", "an RFC 3339 date-time or YYYY-MM-DD", Timestamp.parse)
        query.after = value("cursor", "a cursor from nextCursor") { Int64($0).flatMap { $0 >= 0 ? $0 : nil } }
        query.limit = value("limit", "an integer from 1 to \(Self.maxLimit)") { Int($0).flatMap { (1...Self.maxLimit).contains($0) ? $0 : nil } } ?? 100
        guard issues.isEmpty else { throw CareValidationFailure(issues) }
        let records = try await log.records(query)
        let next: JSONValue = records.count == query.limit ? records.last?.id.map { .string(String($0)) } ?? .null : .null
        return CareClientView.ok(.object(["records": .array(records.map(\.json)), "nextCursor": next]))
    }
}
