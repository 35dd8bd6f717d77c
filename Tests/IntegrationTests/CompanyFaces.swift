import Foundation
import HTTP
import TestSupport
import XCTest

/// One fresh company reached through every client-writing face of the gateway: the
/// organization API with an API key, the leads API and the admin API with an admin's session.
///
/// Shared by the hostile-input and the random-Unicode tests, which run on one stack (rate
/// limits off: the property test makes a few hundred calls as one principal). Bodies are
/// bytes, so a test can send exactly the JSON it means (escapes included); answers are read
/// with the project's own parser, so strings compare exactly (`JSONValue.serialized()`),
/// not up to Unicode canonical equivalence as Swift's `==` would.
struct CompanyFaces {
    static let rootEmail = "root@input.test"
    static let rootPassword = "input-bootstrap-\(UUID().uuidString)"
    /// What differs from a user's gateway, and why: no rate limit (above), and writes wait up
    /// to 10 s for the projections (users: 2 s), since the property tests' bursts of writes
    /// on this stack can leave the stats projection seconds behind on a loaded CI host, and
    /// the tests here assert what an answer shows once its projections have it.
    static let stack = SharedStack("input", gatewayEnvironment: [
        "ADMIN_EMAIL": rootEmail, "ADMIN_PASSWORD": rootPassword, "RATE_LIMIT_REQUESTS": "0",
        "READ_YOUR_WRITES_TIMEOUT_MS": "10000",
    ])

    let gateway: GatewayCaller
    let root: String
    let companyId: String
    let companyNumber: Int64
    let apiKey: String
    /// An admin of the company (it may write leads and admin clients, and is an agent candidate).
    let admin: String
    let adminNumber: Int64
    let adminName: String

    /// A new company with a key and an admin.
    static func make(http: HTTPClient) async throws -> CompanyFaces {
        let gateway = GatewayCaller(http: http, stack: try await stack.stack())
        func call(_ method: HTTPMethod, _ path: String, token: String, _ body: JSONValue) async throws -> JSONValue {
            let reply = try await gateway.call(method, path, as: .session(token), json: body)
            guard (200..<300).contains(reply.status) else { throw TestSupportError("\(method) \(path): \(reply.status) \(reply.text)") }
            return reply.json
        }
        let rootToken = try await gateway.login(email: rootEmail, password: rootPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let company = try await call(.POST, "/api/companies", token: rootToken, ["name": .string("Input \(suffix)")])["data"]
        guard case .string(let companyId)? = company?["id"], case .int(let companyNumber)? = company?["number"] else {
            throw TestSupportError("unexpected company: \(String(describing: company))")
        }
        let key = try await call(.POST, "/api/api-keys", token: rootToken, ["companyId": .string(companyId)])["data"]
        guard case .string(let apiKey)? = key?["key"] else { throw TestSupportError("unexpected key: \(String(describing: key))") }
        let email = "admin-\(suffix)@input.test", password = "an input test password", name = "Ada Input"
        let user = try await call(.POST, "/api/users", token: rootToken, [
            "email": .string(email), "name": .string(name), "password": .string(password),
            "roles": ["admin"], "companies": [.string(companyId)],
        ])["data"]
        guard case .int(let adminNumber)? = user?["number"] else { throw TestSupportError("unexpected user: \(String(describing: user))") }
        let admin = try await gateway.login(email: email, password: password)
        return CompanyFaces(gateway: gateway, root: rootToken, companyId: companyId, companyNumber: companyNumber,
                            apiKey: apiKey, admin: admin, adminNumber: adminNumber, adminName: name)
    }

    /// The admin API's statistics of this company (`data`), once `done` holds for them; fails
    /// after `timeout`.
    func stats(until done: (JSONValue) -> Bool, timeout: Duration = .seconds(20)) async throws -> JSONValue {
        var last = JSONValue.null
        return try await eventuallyValue("the statistics settle (last: \(String(decoding: last.serialized(), as: UTF8.self)))",
                                         timeout: timeout) {
            let reply = try await gateway.call(.GET, "/api/admin/clients/stats", as: .session(admin))
            guard reply.status == 200, let data = reply.json["data"] else { return nil }
            last = data
            return done(data) ? data : nil
        }
    }
}
