import Errors
import Foundation
import HTTP
import Identity
import ServiceRuntime

/// `POST /api/users`, `GET /api/users`, `PUT /api/users/:id`, for callers with
/// `users.manage`.
///
/// Scope: a caller with `companies.manage` (super-admin) manages every user; others (admin)
/// see and change only users sharing one of their companies (anyone else is 404, as if
/// missing) and may place users only in their own companies. The email, password, roles and
/// active state of a user change only when every company of the user is one of the caller's
/// (else 403): otherwise an admin of one company could take over a user of another and act
/// there as that user. Grants: a caller may give, and
/// may change a user holding, only roles whose permissions it holds itself, so an admin
/// cannot create, promote to, or edit a super-admin (403). This rule reads the role mapping,
/// so a role added by a migration needs no code here.
///
/// Create takes `{email, name, password, roles, companies}` (`companies` optional for a
/// super-admin, required otherwise) and answers `201 {"data": user}`. PUT takes any subset of
/// `{email, name, password, active, roles, companies}` and answers `{"data": user}`; fields
/// not given stay as they are. An admin's `companies` replace only the memberships in its own
/// companies; the user's other memberships stay.
struct UsersAPI: Sendable {
    let store: IdentityStore
    let authenticator: SessionAuthenticator

    func register(on setup: ServiceSetup) {
        let options = RouteOptions(maxBodyBytes: IdentityInput.maxBodyBytes)
        setup.route(.POST, "/api/users", options: options, IdentityView.rendering(create))
        setup.route(.GET, "/api/users", IdentityView.rendering(list))
        setup.route(.PUT, "/api/users/:id", options: options, IdentityView.rendering(update))
    }

    static let notFound = ClienteleError(.notFound, "User not found")

    func create(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await authenticator.authenticate(request)
        try caller.require(Permission.usersManage)
        var input = try await IdentityInput.read(request, allowed: ["email", "name", "password", "roles", "companies"])
        let email = input.email("email", required: true)
        let name = input.string("name", required: true)
        let password = input.string("password", required: true)
        let roles = input.strings("roles", required: true)
        let companies = input.uuids("companies", required: !caller.actsInEveryCompany)
        try input.check()
        let new = NewUser(email: email ?? "", name: name ?? "", password: password ?? "", roles: roles ?? [],
                          companyIds: companies ?? [])
        try await checkGrant(caller, roles: new.roles, companyIds: new.companyIds)
        let user = try await store.createUser(new)
        return .json(status: .created, object: ["data": IdentityView.user(user)])
    }

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await authenticator.authenticate(request)
        try caller.require(Permission.usersManage)
        let users = try await store.users(inAnyOf: caller.actsInEveryCompany ? nil : caller.user.companyIds)
        return .json(status: .ok, object: ["data": .array(users.map(IdentityView.user))])
    }

    func update(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await authenticator.authenticate(request)
        try caller.require(Permission.usersManage)
        guard let raw = request.pathParameters["id"], raw.utf8.count == 36, let id = UUID(uuidString: raw),
              let target = try await store.user(id: id), caller.reaches(anyOf: target.companyIds) else { throw Self.notFound }
        var input = try await IdentityInput.read(request, allowed: ["email", "name", "password", "active", "roles", "companies"])
        var changes = UserChanges(email: input.email("email", required: false), name: input.string("name", required: false),
                                  password: input.string("password", required: false), active: input.bool("active"),
                                  roles: input.strings("roles", required: false),
                                  companyIds: input.uuids("companies", required: false))
        try input.check()
        if changes.altersAccess, !caller.actsInEveryCompany, !target.companyIds.isSubset(of: caller.user.companyIds) {
            throw ClienteleError(.permissionDenied,
                                 "You can change the email, password, roles or active state only of users whose companies are all yours")
        }
        // The caller must be able to grant what the user holds now, and what it is given.
        try await checkGrant(caller, roles: target.roles, companyIds: nil)
        try await checkGrant(caller, roles: changes.roles ?? [], companyIds: changes.companyIds)
        if let companyIds = changes.companyIds, !caller.actsInEveryCompany {
            // Memberships in companies the caller does not manage are not its to remove.
            changes.companyIds = companyIds.union(target.companyIds.subtracting(caller.user.companyIds))
        }
        // The user's remembered sessions are forgotten whatever the outcome: it may have committed.
        defer { authenticator.forgetSessions(ofUser: id) }
        guard let user = try await store.updateUser(id: id, changes) else { throw Self.notFound }
        return .json(status: .ok, object: ["data": IdentityView.user(user)])
    }

    /// Throws `permissionDenied` unless `caller` holds every permission of `roles` and (when
    /// not acting in every company) `companyIds` are among its own; `invalidArgument` when a
    /// caller limited to its companies gives a user none.
    private func checkGrant(_ caller: StaffCaller, roles: Set<String>, companyIds: Set<UUID>?) async throws {
        let needed = try await store.permissions(ofRoles: roles)
        guard needed.isSubset(of: caller.permissions) else {
            throw ClienteleError(.permissionDenied, "You cannot grant or change a user with roles beyond your own")
        }
        guard let companyIds, !caller.actsInEveryCompany else { return }
        guard !companyIds.isEmpty else {
            throw ClienteleError(.invalidArgument, "A user must belong to at least one of your companies",
                                 context: ["field": "companies"])
        }
        guard companyIds.isSubset(of: caller.user.companyIds) else {
            throw ClienteleError(.permissionDenied, "You can place users only in your own companies")
        }
    }
}
