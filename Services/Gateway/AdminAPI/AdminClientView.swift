import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI

/// How the admin clients API shows clients, pages and errors.
///
/// Ids are `client_<number>` (the client's public number, as the leads API's ids). A list
/// item is the document's `{id, displayName, username, email, company, status, plan,
/// accountType, joinedAt, lastActiveAt}`; `GET` by id adds every profile and activity field.
/// Errors are `{"success": false, "message", "code"}` plus `errors: [{field, message}]` for
/// validation.
enum AdminClientView {
    static func id(_ record: ClientRecord) -> JSONValue {
        record.number.map { .string("client_\($0)") } ?? .string("client_" + record.id.lowercasedString)
    }

    /// The number an id of this API names (`client_<number>`, the number written as the
    /// API writes it: no sign, no leading zeros); nil when it is not one.
    static func number(fromId id: String) -> Int64? {
        guard id.hasPrefix("client_"), let number = Int64(id.dropFirst(7)), number > 0, "client_\(number)" == id else { return nil }
        return number
    }

    static func summary(_ record: ClientRecord) -> [String: JSONValue] {
        let p = record.profile
        return [
            "id": id(record), "displayName": text(p.displayName ?? p.name), "username": text(p.username), "email": text(p.email),
            "company": text(p.companyName), "status": .string(p.status.rawValue),
            "plan": .string((p.plan ?? .free).rawValue), "accountType": .string((p.accountType ?? .individual).rawValue),
            "joinedAt": .string(Timestamp.format(record.createdAt)),
            "lastActiveAt": record.lastActiveAt.map { .string(Timestamp.format($0)) } ?? .null,
        ]
    }

    static func full(_ record: ClientRecord) -> JSONValue {
        let p = record.profile
        var object = summary(record)
        object.merge([
            "bio": text(p.bio), "jobTitle": text(p.jobTitle), "industry": text(p.industry), "phone": text(p.phone),
            "website": text(p.website), "location": text(p.location), "provider": text(p.provider),
            "emailVerified": .bool(p.emailVerified ?? false), "twoFactorEnabled": .bool(p.twoFactorEnabled ?? false),
            "avatar": text(p.avatar), "totalSubmissions": .int(record.submissionCount),
            "createdAt": .string(Timestamp.format(record.createdAt)), "updatedAt": .string(Timestamp.format(record.updatedAt)),
        ]) { _, new in new }
        return .object(object)
    }

    /// The create answer's `data`, as the document writes it.
    static func created(_ record: ClientRecord) -> JSONValue {
        let p = record.profile
        return [
            "id": id(record), "displayName": text(p.displayName ?? p.name), "email": text(p.email), "status": .string(p.status.rawValue),
            "plan": .string((p.plan ?? .free).rawValue), "accountType": .string((p.accountType ?? .individual).rawValue),
            "createdAt": .string(Timestamp.format(record.createdAt)),
        ]
    }

    static func pagination(page: Int, limit: Int, total: Int) -> JSONValue {
        ["page": .int(Int64(page)), "limit": .int(Int64(limit)), "total": .int(Int64(total)),
         "totalPages": .int(Int64((total + limit - 1) / limit))]
    }

    static func ok(_ object: [String: JSONValue]) -> HTTPResponse {
        var object = object
        object["success"] = true
        return .json(status: .ok, object: .object(object))
    }

    static func error(_ error: any Error) -> HTTPResponse {
        if let failure = error as? ValidationFailure {
            let summary = failure.issues.map { "\($0.field) \($0.message)" }.joined(separator: "; ")
            return .json(status: .badRequest, object: [
                "success": false, "message": .string("Validation error: " + summary), "code": "invalid_argument",
                "errors": .array(failure.issues.map { ["field": .string($0.field), "message": .string($0.message)] }),
            ])
        }
        let status: HTTPStatus
        let code: String
        var message: String
        if let error = error as? HTTPError {
            (status, code, message) = (error.status, error.code, error.message)
        } else if let convertible = error as? any ClienteleErrorConvertible {
            let error = convertible.clienteleError
            (status, code, message) = (HTTPResponse.status(for: error.code), error.code.rawValue, error.message)
            if error.code == .conflict, let field = error.context["field"] {
                message = field == "email" ? "A client with this email already exists" : "This \(field) is already taken"
            }
        } else {
            (status, code, message) = (.internalServerError, "internal", "Internal server error")
        }
        if status.code >= 500 && status.code != 501 {
            message = status.code == 503 ? "Service temporarily unavailable; retry" : "Internal server error"
        }
        // The document lists 400 for validation errors, duplicates included.
        let shown = code == "conflict" ? HTTPStatus.badRequest : status
        return .json(status: shown, object: ["success": false, "message": .string(message), "code": .string(code)])
    }

    private static func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
}
