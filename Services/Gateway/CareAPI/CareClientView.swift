import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI
import JSON

/// How the care API shows clients: `{success, data}` envelopes, list items, the nested
/// profile, and the validation failure `{success: false, message: "Validation failed",
/// errors: {"personalInfo.email": "Invalid email format"}}`.
///
/// A client's `id` is its public number as text (the leads API's and `/api/document`'s id,
/// so one client has one id across the APIs); paths also take `client_<number>`. First and
/// last name come from `personalInfo` while the client's name is still "first last"; a
/// client named otherwise (renamed through another API, or made there) shows its name split
/// at the last space.
enum CareClientView {
    static func id(_ record: ClientRecord) -> JSONValue {
        record.number.map { .string(String($0)) } ?? .string(record.id.lowercasedString)
    }

    /// The most digits a client number has here: numbers come from a sequence that never
    /// nears 10^18, and 18 digits always fit an Int64 (the OpenAPI pattern says the same).
    static let maxNumberDigits = 18

    /// The number `id` names: `<number>` or `client_<number>`, the number written as the APIs
    /// write it (no sign, no leading zeros, at most `maxNumberDigits`); nil when it is neither.
    static func number(fromClientId id: String) -> Int64? {
        let digits = id.hasPrefix("client_") ? id.dropFirst(7) : Substring(id)
        guard digits.utf8.count <= maxNumberDigits, let number = Int64(digits), number > 0, String(number) == digits else { return nil }
        return number
    }

    /// First and last name as the care API shows them.
    static func names(_ record: ClientRecord) -> (first: String, last: String) {
        names(name: record.profile.name, displayName: record.profile.displayName, firstName: record.profile.care?.firstName,
              lastName: record.profile.care?.lastName)
    }

    /// First and last name from the client's name, display name and care names: the care
    /// names while the name is theirs (or absent), else the name split at its last space.
    static func names(name: String?, displayName: String?, firstName: String?, lastName: String?) -> (first: String, last: String) {
        if let first = firstName, let last = lastName, name == nil || name == first + " " + last {
            return (first, last)
        }
        let name = name ?? displayName ?? ""
        guard let space = name.lastIndex(of: " ") else { return (name, "") }
        return (String(name[..<space]), String(name[name.index(after: space)...]))
    }

    static func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    /// `{id, firstName, lastName, email, ndisNumber, status, planManager, supportCoordinator}`
    /// (the last two as user ids).
    static func listItem(_ record: ClientRecord) -> JSONValue {
        let (first, last) = names(record)
        let care = record.profile.care
        return .object([
            "id": id(record), "firstName": .string(first), "lastName": .string(last), "email": text(record.profile.email),
            "ndisNumber": text(care?.ndisNumber), "status": .string(record.profile.status.rawValue),
            "planManager": text(care?.planManager), "supportCoordinator": text(care?.supportCoordinator),
        ])
    }

    /// The nested profile, with the sections in `sections` only. `users` names the plan
    /// manager and support coordinator (`{id, name}`; the name null if the user is gone).
    static func details(_ record: ClientRecord, sections: [String], users: [String: String]) -> JSONValue {
        let care = record.profile.care
        let (first, last) = names(record)
        var object: [String: JSONValue] = [
            "id": id(record), "isActive": .bool(record.profile.status == .active), "status": .string(record.profile.status.rawValue),
            "createdAt": .string(Timestamp.format(record.createdAt)), "updatedAt": .string(Timestamp.format(record.updatedAt)),
        ]
        for section in sections {
            switch section {
            case CareSchema.personalInfo:
                var personal: [String: JSONValue] = ["firstName": .string(first), "lastName": .string(last),
                                                     "email": text(record.profile.email), "phone": text(record.profile.phone),
                                                     "dateOfBirth": .null, "gender": .null]
                if case .object(let stored)? = care?.sections[section] {
                    for key in ["dateOfBirth", "gender"] { personal[key] = stored[key] ?? .null }
                }
                object[section] = .object(personal)
            case CareSchema.ndisDetails:
                guard case .object(var ndis)? = care?.sections[section] else {
                    object[section] = .null
                    continue
                }
                for key in ["planManager", "supportCoordinator"] {
                    if case .string(let userId)? = ndis[key] {
                        ndis[key] = .object(["id": .string(userId), "name": text(users[userId])])
                    }
                }
                object[section] = .object(ndis)
            case CareSchema.emergencyContacts:
                object[section] = care?.sections[section] ?? .array([])
            case "goals":
                object[section] = .array(CareGoalsAPI.goals(record).map(CareGoalsAPI.goal))
            default:
                object[section] = care?.sections[section] ?? .null
            }
        }
        return .object(object)
    }

    static func ok(_ data: JSONValue, status: HTTPStatus = .ok, message: String? = nil) -> HTTPResponse {
        var object: [String: JSONValue] = ["success": true, "data": data]
        if let message { object["message"] = .string(message) }
        return .json(status: status, object: .object(object))
    }

    /// `ok` of a list whose items `items` writes straight into the answer (`JSONWriter`, keys
    /// ascending, so the text is the one `ok(.array(…))` writes), without a `JSONValue` per
    /// item: a carer's client list answers a thousand (measured: docs/performance.md, design
    /// measurements).
    static func ok(capacity: Int, items: (inout JSONWriter) -> Void) -> HTTPResponse {
        .json(status: .ok, body: JSONWriter.object(capacity: capacity) { object in
            object.key("data")
            object.array(items)
            object.member("success", true)
        })
    }

    static func message(_ message: String) -> HTTPResponse {
        .json(status: .ok, object: ["success": true, "message": .string(message)])
    }

    /// Errors in the care envelope; a validation failure lists every field, and a unique NDIS
    /// number taken is the document's 409 message. Never a client's data: messages name fields.
    static func error(_ error: any Error) -> HTTPResponse {
        if let failure = error as? CareValidationFailure {
            var errors: [String: JSONValue] = [:]
            for issue in failure.issues where errors[issue.path] == nil { errors[issue.path] = .string(issue.message) }
            return .json(status: .badRequest, object: ["success": false, "message": "Validation failed", "errors": .object(errors)])
        }
        if let error = error as? ClienteleError, error.code == .conflict, error.context["field"] == "ndisNumber" {
            return .json(status: .conflict, object: ["success": false, "message": "A client with this NDIS number already exists"])
        }
        return CareDocumentsView.error(error)
    }
}

/// Care input that breaks one or more rules, each naming its field (`CareIssue`).
struct CareValidationFailure: Error, ClienteleErrorConvertible {
    var issues: [CareIssue]

    init(_ issues: [CareIssue]) { self.issues = issues }

    var clienteleError: ClienteleError {
        ClienteleError(.invalidArgument, "Validation failed", context: ["field": issues.first?.path ?? ""])
    }
}
