import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI
import XCTest
@testable import Gateway

/// The organization API adapter's validation and rendering, without sockets.
final class OrganizationAdapterTests: XCTestCase {
    private func body(_ json: String) -> [UInt8] { Array(json.utf8) }

    func testCreateBodyBecomesAProfileWithActiveDefault() throws {
        let profile = try OrganizationClientInput.profile(from: body(#"{"name":"John Doe","phone":"+1 555-1234"}"#))
        XCTAssertEqual(profile, ClientProfile(name: "John Doe", phone: "+1 555-1234", status: .active))
        let full = try OrganizationClientInput.profile(from: body(#"{"name":"A","status":"inactive","notes":"n","phone":null}"#))
        XCTAssertEqual(full, ClientProfile(name: "A", notes: "n", status: .inactive))
    }

    func testCreateValidationNamesEveryBadField() {
        let found = issues {
            try OrganizationClientInput.profile(from: self.body(#"{"phone":5,"status":"archived","notes":"\#(String(repeating: "x", count: 10_001))","id":"x"}"#))
        }
        XCTAssertEqual(found["name"], "is required")
        XCTAssertEqual(found["phone"], "must be a string")
        XCTAssertEqual(found["status"], "must be one of active, inactive")
        XCTAssertEqual(found["notes"], "must be at most 10000 characters")
        XCTAssertEqual(found["id"], "is not a writable field")
        XCTAssertEqual(issues { try OrganizationClientInput.profile(from: self.body(#"{"name":"   "}"#)) }["name"], "must not be empty")
        XCTAssertEqual(issues { try OrganizationClientInput.profile(from: self.body("[1]")) }["body"], "must be a JSON object")
        XCTAssertEqual(issues { try OrganizationClientInput.profile(from: self.body("{")) }["body"], "must be valid JSON")
    }

    func testPatchBodyIsPartialAndNullClears() throws {
        let changes = try OrganizationClientInput.changes(from: body(#"{"status":"inactive","notes":"No longer active"}"#))
        XCTAssertEqual(changes, ClientProfileChanges(notes: .set("No longer active"), status: .inactive))
        let cleared = try OrganizationClientInput.changes(from: body(#"{"phone":null}"#))
        XCTAssertEqual(cleared, ClientProfileChanges(phone: .cleared))
        XCTAssertTrue(try OrganizationClientInput.changes(from: body("{}")).isEmpty)
        let found = issues { try OrganizationClientInput.changes(from: self.body(#"{"name":null,"status":null,"createdAt":"x"}"#)) }
        XCTAssertEqual(found["name"], "cannot be cleared")
        XCTAssertEqual(found["status"], "must be one of active, inactive")
        XCTAssertEqual(found["createdAt"], "is not a writable field")
    }

    func testListParameters() throws {
        let tenant = UUID()
        let defaults = try OrganizationListParameters.query(from: HTTPRequest(method: .GET, target: "/api/v1/clients"), tenantId: tenant)
        XCTAssertEqual(defaults, ClientListQuery(tenantId: tenant, sortBy: .createdAt, sortOrder: .asc, limit: 50, offset: 0))
        let filtered = try OrganizationListParameters.query(
            from: HTTPRequest(method: .GET, target: "/api/v1/clients?status=active&sortBy=name&sortOrder=desc&limit=10&offset=5&query=John+Doe"),
            tenantId: tenant)
        XCTAssertEqual(filtered, ClientListQuery(tenantId: tenant, text: "John Doe", statuses: [.active], sortBy: .name,
                                                 sortOrder: .desc, limit: 10, offset: 5))
        let inactive = try OrganizationListParameters.query(from: HTTPRequest(method: .GET, target: "/x?status=inactive"), tenantId: tenant)
        XCTAssertEqual(Set(inactive.statuses), [.inactive, .suspended, .trial, .terminated])
        let found = issues {
            try OrganizationListParameters.query(from: HTTPRequest(method: .GET, target: "/x?limit=0&offset=-1&sortBy=email&sortOrder=up&status=active,gone"),
                                                 tenantId: tenant)
        }
        XCTAssertEqual(Set(found.keys), ["limit", "offset", "sortBy", "sortOrder", "status"])
        XCTAssertNotNil(issues { try OrganizationListParameters.query(from: HTTPRequest(method: .GET, target: "/x?limit=101"), tenantId: tenant) }["limit"])
    }

    func testClientRendering() throws {
        let id = UUID()
        let record = ClientRecord(id: id, tenantId: UUID(), profile: ClientProfile(name: "John Doe", phone: "+1 555-1234", status: .suspended),
                                  version: 3, createdAt: Date(timeIntervalSince1970: 1_700_000_000.123),
                                  updatedAt: Date(timeIntervalSince1970: 1_700_000_001))
        let response = OrganizationClientView.single(record, status: .created)
        XCTAssertEqual(response.status.code, 201)
        XCTAssertEqual(response.headers["ETag"], "\"3\"")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let data = try XCTUnwrap(object["data"] as? [String: Any])
        XCTAssertEqual(data["id"] as? String, id.uuidString.lowercased())
        XCTAssertEqual(data["name"] as? String, "John Doe")
        XCTAssertEqual(data["phone"] as? String, "+1 555-1234")
        XCTAssertEqual(data["status"] as? String, "inactive")
        XCTAssertTrue(data["notes"] is NSNull)
        XCTAssertEqual(data["createdAt"] as? String, "2023-11-14T22:13:20.123Z")
        XCTAssertEqual(data["updatedAt"] as? String, "2023-11-14T22:13:21.000Z")
        XCTAssertEqual(Set(data.keys), ["id", "name", "phone", "status", "notes", "createdAt", "updatedAt"])

        let page = OrganizationClientView.page(ClientListPage(data: [record], total: 7))
        let pageObject = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(page.body)) as? [String: Any])
        XCTAssertEqual(pageObject["total"] as? Int, 7)
        XCTAssertEqual((pageObject["data"] as? [Any])?.count, 1)
    }

    func testErrorEnvelope() throws {
        func render(_ error: any Error) throws -> (Int, [String: Any]) {
            let response = OrganizationClientView.error(error)
            return (response.status.code, try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]))
        }
        let (status, body) = try render(ValidationFailure(field: "status", "must be one of active, inactive"))
        XCTAssertEqual(status, 400)
        XCTAssertEqual(body["error"] as? String, "Validation failed")
        let details = try XCTUnwrap(body["details"] as? [[String: String]])
        XCTAssertEqual(details, [["field": "status", "message": "must be one of active, inactive"]])

        let (unauthorized, unauthorizedBody) = try render(ClienteleError(.unauthenticated, "Missing, invalid or revoked API key"))
        XCTAssertEqual(unauthorized, 401)
        XCTAssertEqual(unauthorizedBody["code"] as? String, "unauthenticated")
        XCTAssertEqual(try render(ClienteleError(.notFound, "Client not found")).0, 404)
        XCTAssertEqual(try render(ClienteleError(.preconditionFailed, "stale")).0, 412)
        XCTAssertEqual(try render(ClienteleError(.unprocessable, "reused key")).0, 422)
        let (internalStatus, internalBody) = try render(ClienteleError(.internal, "secret detail"))
        XCTAssertEqual(internalStatus, 500)
        XCTAssertEqual(internalBody["error"] as? String, "Internal server error")
        // A domain limit from the command service names its field too.
        let (domainStatus, domainBody) = try render(ClienteleError(.invalidArgument, "name must be at most 200 characters", context: ["field": "name"]))
        XCTAssertEqual(domainStatus, 400)
        XCTAssertEqual((domainBody["details"] as? [[String: String]])?.first?["field"], "name")
    }

    func testWriteHeaders() throws {
        func request(_ headers: HTTPHeaders) -> HTTPRequest { HTTPRequest(method: .PATCH, target: "/api/v1/clients/x", headers: headers) }
        XCTAssertEqual(OrganizationWriteHeaders.precondition(request([:])), .none)
        XCTAssertEqual(OrganizationWriteHeaders.precondition(request(["If-Match": "*"])), .none)
        XCTAssertEqual(OrganizationWriteHeaders.precondition(request(["If-Match": "\"4\""])), .version(4))
        XCTAssertEqual(OrganizationWriteHeaders.precondition(request(["If-Match": "W/\"4\""])), .version(4))
        XCTAssertEqual(OrganizationWriteHeaders.precondition(request(["If-Match": "\"abc\""])), .unsatisfiable)

        let key = UUID()
        let token = try XCTUnwrap(try OrganizationWriteHeaders.idempotency(request(["Idempotency-Key": "k-1"]), body: Array("{}".utf8), keyId: key))
        XCTAssertEqual(token.scope, "api_key:\(key.uuidString.lowercased())")
        XCTAssertEqual(token.requestHash.count, 64)
        let other = try XCTUnwrap(try OrganizationWriteHeaders.idempotency(request(["Idempotency-Key": "k-1"]), body: Array("{ }".utf8), keyId: key))
        XCTAssertNotEqual(token.requestHash, other.requestHash)
        XCTAssertNil(try OrganizationWriteHeaders.idempotency(request([:]), body: [], keyId: key))
        XCTAssertThrowsError(try OrganizationWriteHeaders.idempotency(request(["Idempotency-Key": String(repeating: "k", count: 256)]), body: [], keyId: key))
        XCTAssertThrowsError(try OrganizationWriteHeaders.idempotency(request(["Idempotency-Key": "has space"]), body: [], keyId: key))
    }

    func testBearerParsing() {
        XCTAssertEqual(APIKeyAuthenticator.bearerToken("Bearer ba_abc"), "ba_abc")
        XCTAssertEqual(APIKeyAuthenticator.bearerToken("bearer  ba_abc "), "ba_abc")
        XCTAssertNil(APIKeyAuthenticator.bearerToken("Basic ba_abc"))
        XCTAssertNil(APIKeyAuthenticator.bearerToken("Bearer"))
        XCTAssertNil(APIKeyAuthenticator.bearerToken(nil))
        XCTAssertNil(APIKeyAuthenticator.bearerToken("Bearer " + String(repeating: "a", count: 300)))
    }

    func testSearchQueryStringEncodesValues() {
        let tenant = UUID()
        let text = SearchClient.parameters(of: ClientListQuery(tenantId: tenant, text: "a&b c", statuses: [.active, .inactive], limit: 10))
        XCTAssertEqual(text, "tenantId=\(tenant.uuidString.lowercased())&query=a%26b%20c&status=active%2Cinactive&sortBy=createdAt&sortOrder=asc&limit=10&offset=0")
    }
}
