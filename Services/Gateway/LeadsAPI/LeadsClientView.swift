import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import InternalAPI

/// How the leads API shows clients and errors.
///
/// A client is the document's `Client`: `id` (its public number), `name`, `email`, `phone`,
/// `address`, `source`, `isActive` (true only for the active status), `createdBy` (the
/// creating user's number; null when an API key or the system created it), `createdAt`,
/// `updatedAt`, `company` (the company's name), `hasJoined`, `agents`, and `passport` (the
/// path its passport downloads from, null without one). Errors are
/// `{"message": ...}` as the document writes them; a validation error adds
/// `errors: [{field, message}]` naming every bad field.
enum LeadsClientView {
    /// What rendering a client needs beyond its record: names and numbers from identity.
    struct Context: Sendable {
        var companyNames: [UUID: String] = [:]
        var userNumbers: [UUID: Int64] = [:]
    }

    static func client(_ record: ClientRecord, _ context: Context) -> JSONValue {
        let profile = record.profile
        var createdBy = JSONValue.null
        if let actor = record.createdBy, actor.kind == .user, let id = UUID(uuidString: actor.id),
           let number = context.userNumbers[id] {
            createdBy = .int(number)
        }
        return .object([
            "id": record.number.map(JSONValue.int) ?? .null,
            "name": text(profile.name),
            "email": text(profile.email),
            "phone": text(profile.phone),
            "address": text(profile.address),
            "source": text(profile.source),
            "isActive": .bool(profile.status == .active),
            "createdBy": createdBy,
            "createdAt": .string(Timestamp.format(record.createdAt)),
            "updatedAt": .string(Timestamp.format(record.updatedAt)),
            "company": text(context.companyNames[record.tenantId]),
            "hasJoined": .bool(record.hasJoined),
            "agents": .array((profile.agents ?? []).map {
                .object(["agentId": .int($0.agentId), "agentName": .string($0.agentName)])
            }),
            "passport": record.documents.passport == nil ? .null : .string(passportPath(record)),
        ])
    }

    /// Where the lead's passport downloads (through the gateway, authorized per request).
    static func passportPath(_ record: ClientRecord) -> String {
        "\(LeadsClientsAPI.path)/passport/\(record.number.map(String.init) ?? record.id.lowercasedString)"
    }

    /// `{key: [clients], totalPages}`: `key` is `leads` or `clients`, as each route's document says.
    static func page(_ key: String, _ page: ClientListPage, pageSize: Int, context: Context) -> HTTPResponse {
        let totalPages = (page.total + pageSize - 1) / pageSize
        return .json(status: .ok, object: .object([
            key: .array(page.data.map { client($0, context) }),
            "totalPages": .int(Int64(totalPages)),
        ]))
    }

    static func message(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        .json(status: status, object: ["message": .string(text)])
    }

    /// `error` as `{"message": ...}` with the status of the shared mapping; a duplicate email
    /// is the document's 400 `Lead with this email already exists`.
    static func error(_ error: any Error) -> HTTPResponse {
        if let failure = error as? ValidationFailure {
            let summary = failure.issues.map { "\($0.field) \($0.message)" }.joined(separator: "; ")
            let details: [JSONValue] = failure.issues.map { ["field": .string($0.field), "message": .string($0.message)] }
            return .json(status: .badRequest, object: ["message": .string("Invalid input: " + summary), "errors": .array(details)])
        }
        let response: HTTPResponse
        if let error = error as? HTTPError {
            response = message(error.message, status: error.status)
        } else if let convertible = error as? any ClienteleErrorConvertible {
            let error = convertible.clienteleError
            switch (error.code, error.context["field"]) {
            case (.conflict, "email"?):
                response = message("Lead with this email already exists", status: .badRequest)
            case (.invalidArgument, let field?):
                response = .json(status: .badRequest, object: [
                    "message": .string("Invalid input: \(field): \(error.message)"),
                    "errors": [["field": .string(field), "message": .string(error.message)]],
                ])
            default:
                let status = HTTPResponse.status(for: error.code)
                // 5xx messages are generic (a 501 says what is not built yet).
                let text = status.code >= 500 && status.code != 501
                    ? (status.code == 503 ? "Service temporarily unavailable; retry" : "Internal server error")
                    : error.message
                response = message(text, status: status)
            }
        } else {
            response = message("Internal server error", status: .internalServerError)
        }
        return response
    }

    private static func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
}
