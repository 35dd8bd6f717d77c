import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import InternalAPI
import XCTest
@testable import Gateway

/// Where schemathesis found the server and `/openapi.json` disagreeing and the server was
/// the one to change: each rule as the server now applies it, the one the document states.
final class SchemaAgreementTests: XCTestCase {
    private func body(_ object: JSONValue) -> [UInt8] { object.serialized() }

    private func invalidField(_ parse: () throws -> Any) -> String? {
        do {
            _ = try parse()
            return nil
        } catch let failure as ValidationFailure {
            return failure.issues.first?.field
        } catch let error as ClienteleError {
            return error.context["field"] ?? error.code.rawValue
        } catch {
            return "\(error)"
        }
    }

    /// Search texts reached PostgreSQL with a NUL (500); they keep the text rules now (400).
    func testSearchTextsRefuseControlCharacters() {
        let tenant = UUID()
        XCTAssertEqual(invalidField {
            try OrganizationListParameters.query(from: HTTPRequest(method: .GET, target: "/api/v1/clients?query=a%00b"), tenantId: tenant)
        }, "query")
        XCTAssertEqual(invalidField {
            try AdminListParameters.parse(HTTPRequest(method: .GET, target: "/api/admin/clients?search=a%00b"), kind: .list,
                                          scope: .everyTenant)
        }, "search")
        XCTAssertEqual(invalidField {
            try AdminListParameters.parse(HTTPRequest(method: .GET, target: "/x?companySearch=%C2%85"), kind: .advancedSearch,
                                          scope: .everyTenant)
        }, "companySearch")
        XCTAssertNil(invalidField {
            try OrganizationListParameters.query(from: HTTPRequest(method: .GET, target: "/api/v1/clients?query=Jos%C3%A9"), tenantId: tenant)
        })
    }

    /// A length is code points, as `maxLength` counts: 200 characters with a combining mark
    /// are 201 (the document's limit is 200), and a space with a combining mark is not blank.
    func testLengthsAreCodePointsAndBlankIsWhiteSpaceOnly() {
        let marked = String(repeating: "a", count: 199) + "e\u{301}"
        XCTAssertEqual(marked.count, 200)
        XCTAssertEqual(invalidField { try OrganizationClientInput.profile(from: self.body(["name": .string(marked)])) }, "name")
        XCTAssertEqual(invalidField {
            try OrganizationListParameters.query(from: HTTPRequest(method: .GET, target: "/x?query=" + String(repeating: "e%CC%81", count: 101)),
                                                 tenantId: UUID())
        }, "query")
        XCTAssertNil(invalidField { try OrganizationClientInput.profile(from: self.body(["name": " \u{301}"])) })
        XCTAssertEqual(invalidField { try OrganizationClientInput.profile(from: self.body(["name": " \u{3000}\u{A0}"])) }, "name")
        // Twelve code points are a password's minimum, though they make six characters on screen.
        XCTAssertNoThrow(try IdentityStore.checkPassword(String(repeating: "e\u{301}", count: 6)))
    }

    /// `status` is 1 to 10 names separated by commas: an empty value or item is refused, as
    /// the document's array (`minItems` 1, enum items) says.
    func testListParametersHaveNoEmptyItems() {
        func v1(_ query: String) -> String? {
            invalidField { try OrganizationListParameters.query(from: HTTPRequest(method: .GET, target: "/x?" + query), tenantId: UUID()) }
        }
        XCTAssertEqual(v1("status="), "status")
        XCTAssertEqual(v1("status=active,"), "status")
        XCTAssertEqual(v1("status=active,%20inactive"), "status")
        XCTAssertNil(v1("status=active,inactive,active"))
        func admin(_ query: String, _ kind: AdminListParameters.Kind = .advancedSearch) -> String? {
            invalidField { try AdminListParameters.parse(HTTPRequest(method: .GET, target: "/x?" + query), kind: kind, scope: .everyTenant) }
        }
        XCTAssertEqual(admin("status="), "status")
        XCTAssertEqual(admin("plan=free,,premium"), "plan")
        XCTAssertEqual(admin("emailVerified="), "emailVerified", "a flag has a value")
        XCTAssertEqual(admin("minSubmissions="), "minSubmissions")
        XCTAssertEqual(admin("createdAfter="), "createdAfter")
        XCTAssertNil(admin("minSubmissions=5&maxSubmissions=3"), "an empty range matches nothing; no schema can state min ≤ max")
        XCTAssertNil(admin("minSubmissions=x", .list), "the list reads only its own parameters")
    }

    /// `client_<number>` with the number as the API writes it: no sign, no leading zeros.
    func testAdminIdsAreCanonical() {
        XCTAssertEqual(AdminClientView.number(fromId: "client_12"), 12)
        XCTAssertNil(AdminClientView.number(fromId: "client_012"))
        XCTAssertNil(AdminClientView.number(fromId: "client_+12"))
    }

    /// The care API's ids: `<number>` or `client_<number>`, no sign or leading zeros, and at
    /// most 18 digits, as the OpenAPI pattern says (a 19-digit number, even one that fits an
    /// Int64, is refused by both).
    func testCareIdsAreWhatThePatternSays() throws {
        XCTAssertEqual(CareClientView.number(fromClientId: "12"), 12)
        XCTAssertEqual(CareClientView.number(fromClientId: "client_12"), 12)
        XCTAssertEqual(CareClientView.number(fromClientId: String(repeating: "9", count: 18)), 999_999_999_999_999_999)
        for refused in ["", "0", "012", "+12", "client_", "client_012", "1" + String(repeating: "0", count: 18), "9223372036854775807"] {
            XCTAssertNil(CareClientView.number(fromClientId: refused), refused)
        }
        guard case .string(let pattern)? = OpenAPIDocument.careClientId["pattern"] else { return XCTFail("no pattern") }
        let expression = try NSRegularExpression(pattern: pattern)
        for text in ["12", "client_12", String(repeating: "9", count: 18), "", "0", "012", "client_012", "9223372036854775807"] {
            let matches = expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
            XCTAssertEqual(matches, CareClientView.number(fromClientId: text) != nil, text)
        }
    }

    /// An http(s) URL is `http://` or `https://`, a host that starts with none of `/?#@:`, and
    /// no white space, as the document's pattern says: read by code points, as the pattern
    /// reads it (an emoji modifier or a combining mark right after `//` joins the `/` into one
    /// Swift `Character`, and the scheme is still `http://`; schemathesis found it).
    func testWebURLsAreWhatThePatternSays() {
        for url in ["HTTP://0", "https://example.com/a?b#c", "http://user@host:8080/", "hTTp://\u{1F3FB}\u{116}",
                    "http://\u{301}x"] {
            XCTAssertTrue(AdminClientInput.isWebURL(url), url)
        }
        for url in ["http:///x", "http://@host", "http://:80", "https://exa mple.com", "http://a\u{A0}b", "ftp://x", "http:/x"] {
            XCTAssertFalse(AdminClientInput.isWebURL(url), url)
        }
    }

    /// Emails are visible ASCII, so that 254 bytes are 254 characters (a schema counts no bytes);
    /// the leads API trims spaces and tabs around one and holds what is left to the limit.
    func testEmailsAreASCII() {
        let accented = "jos\u{E9}@example.com"
        XCTAssertEqual(invalidField {
            try LeadsClientInput.creation(from: self.body(["name": "A", "email": .string(accented), "company": 1]))
        }, "email")
        XCTAssertEqual(invalidField { try AdminClientInput.creation(from: self.body(["email": .string(accented)])) }, "email")
        var identity = IdentityInput(object: ["email": .string(accented)])
        XCTAssertNil(identity.email("email", required: true))
        let padded = "\t" + String(repeating: "\u{A0}", count: 100) + "a@example.com" + String(repeating: " ", count: 200)
        XCTAssertEqual(try LeadsClientInput.creation(from: body(["name": "A", "email": .string(padded), "company": 1])).profile.email,
                       "a@example.com")
    }

    /// The document's white-space classes are the server's predicates, read over the Basic
    /// Multilingual Plane: nothing beyond it may belong to them.
    func testTheDocumentsWhiteSpaceClassesHaveNoAstralMembers() {
        XCTAssertTrue(OpenAPIDocument.whiteSpace.contains { $0.contains(0x3000) })
        XCTAssertTrue(OpenAPIDocument.trimmedByIdentity.contains { $0.contains(0x0A) })
        XCTAssertFalse(OpenAPIDocument.spaceSeparators.contains { $0.contains(0x0A) })
        for value in UInt32(0x10000)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            if scalar.properties.isWhitespace || CharacterSet.whitespacesAndNewlines.contains(scalar) {
                XCTFail("U+\(String(value, radix: 16)) is white space beyond the Basic Multilingual Plane")
                return
            }
        }
    }
}
