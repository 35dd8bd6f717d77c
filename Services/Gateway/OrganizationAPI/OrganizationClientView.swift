import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI

/// How the organization API shows clients and errors.
///
/// A client is `{id, name, phone, status, notes, createdAt, updatedAt}`, absent fields as
/// `null`, times in RFC 3339 UTC with milliseconds. The API knows two statuses: `active`,
/// and `inactive` for every other domain status. Errors are
/// `{"error": message, "code": code}`, plus `details: [{field, message}]` for bad input.
enum OrganizationClientView {
    /// Writes the client's JSON object as `writer`'s next value, members in the document's order.
    ///
    /// Written directly (`JSONWriter`): building and sorting a `JSONValue` dictionary per
    /// client showed in the gateway's CPU per GET (measured: docs/performance.md, design
    /// measurements).
    static func write(_ record: ClientRecord, to writer: inout JSONWriter) {
        let profile = record.profile
        writer.object { object in
            object.member("id", record.id.lowercasedString)
            object.member("name", profile.name)
            object.member("phone", profile.phone)
            object.member("status", statusName(profile.status))
            object.member("notes", profile.notes)
            object.member("createdAt", Timestamp.format(record.createdAt))
            object.member("updatedAt", Timestamp.format(record.updatedAt))
        }
    }

    /// `{"data": client}` with the client's ETag.
    static func single(_ record: ClientRecord, status: HTTPStatus = .ok) -> HTTPResponse {
        let body = JSONWriter.object { object in
            object.key("data")
            write(record, to: &object)
        }
        var response = HTTPResponse.json(status: status, body: body)
        response.headers.replaceOrAdd(name: "ETag", value: etag(record.version))
        return response
    }

    /// `{"data": [client], "total": n}`.
    static func page(_ page: ClientListPage) -> HTTPResponse {
        let body = JSONWriter.object(capacity: 64 + 256 * page.data.count) { object in
            object.key("data")
            object.array { array in
                for record in page.data { write(record, to: &array) }
            }
            object.member("total", Int64(page.total))
        }
        return .json(status: .ok, body: body)
    }

    static func etag(_ version: Int64) -> String { "\"\(version)\"" }

    static func statusName(_ status: ClientStatus) -> String { status == .active ? "active" : "inactive" }

    /// The domain statuses the API's `inactive` covers in list filters.
    static let inactiveStatuses: [ClientStatus] = ClientStatus.allCases.filter { $0 != .active }

    /// `error` in this API's envelope, with the status of the shared mapping.
    static func error(_ error: any Error) -> HTTPResponse {
        if let failure = error as? ValidationFailure {
            let details: [JSONValue] = failure.issues.map { ["field": .string($0.field), "message": .string($0.message)] }
            return .json(status: .badRequest, object: ["error": "Validation failed", "code": "invalid_argument",
                                                       "details": .array(details)])
        }
        let status: HTTPStatus
        let code: String
        var message: String
        var object: [String: JSONValue] = [:]
        if let error = error as? HTTPError {
            (status, code, message) = (error.status, error.code, error.message)
        } else if let convertible = error as? any ClienteleErrorConvertible {
            let error = convertible.clienteleError
            (status, code, message) = (HTTPResponse.status(for: error.code), error.code.rawValue, error.message)
            if error.code == .invalidArgument, let field = error.context["field"] {
                object["details"] = [["field": .string(field), "message": .string(error.message)]]
                message = "Validation failed"
            }
        } else {
            (status, code, message) = (.internalServerError, "internal", "Internal server error")
        }
        if status.code >= 500 { message = status.code == 503 ? "Service temporarily unavailable; retry" : "Internal server error" }
        object["error"] = .string(message)
        object["code"] = .string(code)
        return .json(status: status, object: .object(object))
    }
}
