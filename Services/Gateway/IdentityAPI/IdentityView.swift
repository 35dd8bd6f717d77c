import ClientDomain
import Errors
import Foundation
import HTTP
import Identity

/// How the identity APIs (`/api/auth`, `/api/companies`, `/api/users`) show users, companies
/// and errors.
///
/// A user is `{id, number, email, name, active, roles, companies, createdAt, updatedAt}`
/// (never a password or hash); a company `{id, number, name, createdAt,
/// timeZone}`; ids are lower-case
/// UUIDs, times RFC 3339 UTC with milliseconds. Errors use the organization API's envelope
/// (`{"error": message, "code": code, "details": [{field, message}]}`); a throttled login
/// (429) and a full password-hash queue (503) add `Retry-After`.
enum IdentityView {
    static func user(_ user: User) -> JSONValue {
        .object([
            "id": .string(user.id.lowercasedString),
            "number": .int(user.number),
            "email": .string(user.email),
            "name": .string(user.name),
            "active": .bool(user.active),
            "roles": .array(user.roles.sorted().map(JSONValue.string)),
            "companies": .array(user.companyIds.map { $0.lowercasedString }.sorted().map(JSONValue.string)),
            "createdAt": .string(Timestamp.format(user.createdAt)),
            "updatedAt": .string(Timestamp.format(user.updatedAt)),
        ])
    }

    static func company(_ company: Company) -> JSONValue {
        .object([
            "id": .string(company.id.lowercasedString),
            "number": .int(company.number),
            "name": .string(company.name),
            "createdAt": .string(Timestamp.format(company.createdAt)),
            "timeZone": .string(company.timeZone),
        ])
    }

    /// `error` as a response (`APIErrorRendering` adds `Retry-After` where the error advises one).
    static func error(_ error: any Error) -> HTTPResponse {
        OrganizationClientView.error(error)
    }

    /// `handler` with every error rendered by `error(_:)` and `Cache-Control: no-store` on
    /// every answer (they carry tokens or personal data).
    static func rendering(_ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) -> HTTPHandler {
        let wrapped = APIErrorRendering.wrap(handler, rendering: Self.error)
        return { request in
            var response = try await wrapped(request)
            response.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
            return response
        }
    }
}

/// Too many failed logins for the account or the address; retry after `retryAfter` seconds.
struct LoginThrottled: Error, ClienteleErrorConvertible, RetryAfterAdvising {
    var retryAfter: Int

    var retryAfterSeconds: Int { retryAfter }

    var clienteleError: ClienteleError {
        ClienteleError(.resourceExhausted, "Too many failed logins; retry in \(retryAfter) seconds")
    }
}
