import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import JSON
import ServiceRuntime

/// A workspace's custom-field definitions, `/v1/workspace/:workspaceId/custom-fields`:
/// list with `clients.read`; create, change and delete with `custom_fields.manage`.
///
/// A definition is `{fieldKey, label, type, options, required}` (`CustomFieldDefinition`):
/// `fieldKey` matches `^[a-zA-Z][a-zA-Z0-9_]{0,63}$` and is unique in the workspace (409
/// otherwise); `label` 1 to 200 characters; `type` one of text, number, boolean, date,
/// select, multiselect; `options` (select and multiselect only, and required there) 1 to 100
/// distinct options of 1 to 200 characters; `required` (default false) makes new clients give
/// it. PATCH (`/:fieldKey`) changes `label`, `options` and `required`, never the key or type.
/// DELETE keeps the values clients hold under the key: with no definition they are answered
/// as text. A workspace holds at most 100 definitions (409 past that).
struct CustomFieldsAPI: Sendable {
    let authenticator: SessionAuthenticator
    let companies: KnownCompanies
    let catalog: CustomFieldCatalog
    let identity: IdentityStore

    static let path = "/v1/workspace/:workspaceId/custom-fields"
    static let maxBodyBytes = 64 * 1024
    static let createFields: Set<String> = ["fieldKey", "label", "type", "options", "required"]
    static let changeFields: Set<String> = ["label", "options", "required"]

    func register(on setup: ServiceSetup) {
        let options = RouteOptions(maxBodyBytes: Self.maxBodyBytes)
        setup.route(.GET, Self.path, rendering(list))
        setup.route(.POST, Self.path, options: options, rendering(create))
        setup.route(.PATCH, Self.path + "/:fieldKey", options: options, rendering(update))
        setup.route(.DELETE, Self.path + "/:fieldKey", rendering(delete))
    }

    private func rendering(_ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) -> HTTPHandler {
        APIErrorRendering.wrap(handler, rendering: WorkspaceClientView.error)
    }

    private func caller(_ request: HTTPRequest, _ permission: String) async throws -> WorkspaceCaller {
        try await WorkspaceCaller.resolve(request, authenticator: authenticator, companies: companies, requiring: permission)
    }

    static let notFound = ClienteleError(.notFound, "Custom field not found")

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request, Permission.clientsRead)
        let stored = try await identity.customFieldDefinitions(companyId: caller.workspaceId)
        return .json(status: .ok, object: ["customFields": .array(stored.map(WorkspaceClientView.definition))])
    }

    func create(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request, Permission.customFieldsManage)
        let object = try WorkspaceClientInput.jsonObject(try await OrganizationClientsAPI.jsonBody(request, maxBytes: Self.maxBodyBytes))
        var failure = WorkspaceInputFailure()
        WorkspaceClientInput.unknownKeys(object, allowed: Self.createFields, at: "", into: &failure)
        let fieldKey = Self.string(object, "fieldKey", required: true, into: &failure)
        let label = Self.string(object, "label", required: true, into: &failure)
        var type: CustomFieldType?
        if let name = Self.string(object, "type", required: true, into: &failure) {
            type = CustomFieldType(rawValue: name)
            if type == nil {
                failure.broken("type", "must be one of " + CustomFieldType.allCases.map(\.rawValue).joined(separator: ", "))
            }
        }
        let options = Self.options(object, into: &failure) ?? []
        let required = Self.flag(object, "required", into: &failure) ?? false
        try failure.check()
        guard let fieldKey, let label, let type else { throw failure }
        let definition = CustomFieldDefinition(fieldKey: fieldKey, label: label, type: type, options: options, required: required)
        try Self.check(definition)
        let stored = try await identity.createCustomFieldDefinition(definition, companyId: caller.workspaceId)
        catalog.invalidate(caller.workspaceId)
        var response = HTTPResponse.json(status: .created, object: ["customField": WorkspaceClientView.definition(stored)])
        response.headers.replaceOrAdd(name: "Location", value: "/v1/workspace/\(caller.workspaceId.lowercasedString)/custom-fields/\(fieldKey)")
        return response
    }

    func update(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request, Permission.customFieldsManage)
        let fieldKey = try Self.fieldKey(request)
        let object = try WorkspaceClientInput.jsonObject(try await OrganizationClientsAPI.jsonBody(request, maxBytes: Self.maxBodyBytes))
        var failure = WorkspaceInputFailure()
        WorkspaceClientInput.unknownKeys(object, allowed: Self.changeFields, at: "", into: &failure)
        let changes = CustomFieldDefinitionChanges(label: Self.string(object, "label", required: false, into: &failure),
                                                   options: Self.options(object, into: &failure),
                                                   required: Self.flag(object, "required", into: &failure))
        try failure.check()
        guard let stored = try await identity.updateCustomFieldDefinition(fieldKey: fieldKey, companyId: caller.workspaceId, changes,
                                                                          check: Self.check) else { throw Self.notFound }
        catalog.invalidate(caller.workspaceId)
        return .json(status: .ok, object: ["customField": WorkspaceClientView.definition(stored)])
    }

    func delete(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request, Permission.customFieldsManage)
        let fieldKey = try Self.fieldKey(request)
        guard try await identity.deleteCustomFieldDefinition(fieldKey: fieldKey, companyId: caller.workspaceId) else {
            throw Self.notFound
        }
        catalog.invalidate(caller.workspaceId)
        return HTTPResponse(status: .noContent)
    }

    // MARK: Parts

    /// The `:fieldKey` path parameter; one no definition could have is 404.
    static func fieldKey(_ request: HTTPRequest) throws -> String {
        guard let key = request.pathParameters["fieldKey"], WorkspaceFieldLimits.isFieldKey(key) else { throw notFound }
        return key
    }

    /// A 422 naming each rule the definition breaks.
    @Sendable static func check(_ definition: CustomFieldDefinition) throws {
        var failure = WorkspaceInputFailure()
        for problem in definition.problems() { failure.broken(problem.field, problem.message) }
        try failure.check()
    }

    static func string(_ object: [String: JSONValue], _ key: String, required: Bool,
                       into failure: inout WorkspaceInputFailure) -> String? {
        switch object[key] {
        case nil, .null?:
            if required { failure.malformed(key, "is required") } else if object[key] == .null { failure.malformed(key, "must be a string") }
            return nil
        case .string(let text)?: return text
        default:
            failure.malformed(key, "must be a string")
            return nil
        }
    }

    static func flag(_ object: [String: JSONValue], _ key: String, into failure: inout WorkspaceInputFailure) -> Bool? {
        switch object[key] {
        case nil: return nil
        case .bool(let flag)?: return flag
        default:
            failure.malformed(key, "must be a boolean")
            return nil
        }
    }

    static func options(_ object: [String: JSONValue], into failure: inout WorkspaceInputFailure) -> [String]? {
        switch object["options"] {
        case nil: return nil
        case .array(let items)?:
            var options: [String] = []
            for (index, item) in items.enumerated() {
                if case .string(let option) = item { options.append(option) } else { failure.malformed("options[\(index)]", "must be a string") }
            }
            return options
        default:
            failure.malformed("options", "must be an array of strings")
            return nil
        }
    }
}
