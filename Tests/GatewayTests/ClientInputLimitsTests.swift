import ClientDomain
import Foundation
import HTTP
import XCTest
@testable import Gateway

/// Every face's input parser keeps the domain's text limits and names the field: characters
/// (code points, as the OpenAPI document's `maxLength` counts them) and bytes, no control
/// characters (line feed and tab in multi-line fields), no noncharacters; and what a parser
/// accepts, the domain accepts.
final class ClientInputLimitsTests: XCTestCase {
    /// One grapheme cluster of 3,001 code points and 6,001 bytes: 3,001 characters as the
    /// limits count them.
    static let marked = "a" + String(repeating: "\u{301}", count: 3_000)

    private func body(_ object: JSONValue) -> [UInt8] { object.serialized() }

    func testOrganizationBodiesNameTheField() throws {
        XCTAssertEqual(issues { try OrganizationClientInput.profile(from: self.body(["name": .string(Self.marked)])) },
                       ["name": "must be at most 200 characters"])
        XCTAssertEqual(issues { try OrganizationClientInput.profile(from: self.body(["name": "a", "notes": "\u{0}"])) },
                       ["notes": "must not contain control characters (other than line feed and tab)"])
        XCTAssertEqual(issues { try OrganizationClientInput.changes(from: self.body(["phone": "+1\u{85}555"])) },
                       ["phone": "must not contain control characters"])
        XCTAssertEqual(issues { try OrganizationClientInput.changes(from: self.body(["name": "Jane\u{FFFF}"])) },
                       ["name": "must not contain Unicode noncharacters"])
        let notes = "line one\n\tline two \u{200F}"
        XCTAssertEqual(try OrganizationClientInput.profile(from: body(["name": "a", "notes": .string(notes)])).notes, notes)
    }

    func testLeadsBodiesNameTheField() throws {
        let base: [String: JSONValue] = ["name": "Lead", "email": "lead@example.com", "company": 1]
        func create(_ extra: [String: JSONValue]) -> [String: String] {
            issues { try LeadsClientInput.creation(from: self.body(.object(base.merging(extra) { $1 }))) }
        }
        XCTAssertEqual(create(["name": .string(Self.marked)]), ["name": "must be at most 200 characters"])
        XCTAssertEqual(create(["source": "\u{1B}[1m"]), ["source": "must not contain control characters"])
        XCTAssertEqual(create(["email": "lead\u{0}@example.com"]), ["email": "must not contain control characters"])
        XCTAssertEqual(create(["agents": [["agentId": 4, "agentName": .string(Self.marked)]]]),
                       ["agents[0].agentName": "must be at most 200 characters"])
        XCTAssertEqual(create(["agents": [["agentId": 4, "agentName": 7]]]), ["agents[0].agentName": "must be a string"])
        XCTAssertEqual(issues { try LeadsClientInput.changes(from: self.body(["address": "a\rb"])) },
                       ["address": "must not contain control characters (other than line feed and tab)"])
        let address = "1 Main St\nDubai\tUAE"
        XCTAssertEqual(try LeadsClientInput.changes(from: body(["address": .string(address)])).address, .set(address))
    }

    func testAdminBodiesNameTheField() throws {
        func create(_ extra: [String: JSONValue]) -> [String: String] {
            issues { try AdminClientInput.creation(from: self.body(.object(["email": "a@example.com"].merging(extra) { $1 }))) }
        }
        for field in ["displayName", "company", "industry", "location", "jobTitle"] {
            XCTAssertEqual(create([field: .string(Self.marked)]).keys.sorted(), [field])
        }
        XCTAssertEqual(create(["company": .string(Self.marked)]), ["company": "must be at most 200 characters"])
        XCTAssertEqual(create(["industry": .string(String(repeating: "\u{1D400}", count: 101))]),
                       ["industry": "must be at most 100 characters"])
        XCTAssertEqual(create(["bio": "a\u{0}"]), ["bio": "must not contain control characters (other than line feed and tab)"])
        XCTAssertEqual(create(["location": 5]), ["location": "must be a string"])
        XCTAssertEqual(create(["email": "a\u{9F}@example.com"]), ["email": "must not contain control characters"])
        XCTAssertEqual(issues { try AdminClientInput.changes(from: ["website": .string("https://example.com/\u{7F}")]) },
                       ["website": "must not contain control characters"])
        XCTAssertEqual(issues { try AdminClientInput.account(from: self.body(["avatar": .string("https://example.com/" + String(Unicode.Scalar(0xFDD0)!))])) },
                       ["avatar": "must not contain Unicode noncharacters"])
        XCTAssertEqual(try AdminClientInput.creation(from: body(["email": "a@example.com", "bio": "one\ntwo\tthree"])).profile.bio,
                       "one\ntwo\tthree")
    }

    /// On create `null` means "not given" (the display name defaults to the email's local part);
    /// on update it clears, and the display name cannot be cleared.
    func testAdminCreateTakesNullAsNotGiven() throws {
        let creation = try AdminClientInput.creation(from: body([
            "email": "jane.doe@example.com", "displayName": .null, "company": .null, "plan": .null, "status": .null,
            "username": .null, "companyId": .null,
        ]))
        XCTAssertEqual(creation.profile.displayName, "jane.doe")
        XCTAssertNil(creation.profile.companyName)
        XCTAssertEqual(creation.profile.plan, .free)
        XCTAssertEqual(creation.profile.status, .active)
        XCTAssertNil(creation.companyId)
        XCTAssertEqual(issues { try AdminClientInput.creation(from: self.body(["email": .null])) }, ["email": "is required"])
        XCTAssertEqual(issues { try AdminClientInput.changes(from: ["displayName": .null]) }, ["displayName": "cannot be cleared"])
        XCTAssertEqual(try AdminClientInput.changes(from: ["company": .null]).companyName, .cleared)
        // A local part longer than a display name is cut to the display name's 200 characters.
        let local = String(repeating: "l", count: 230)
        let long = try AdminClientInput.creation(from: body(["email": .string(local + "@example.com")]))
        XCTAssertEqual(long.profile.displayName, String(local.prefix(200)))
        XCTAssertNoThrow(try ClientFieldLimits().validate(long.profile))
    }

    func testIdentityNamesAndEmailsKeepTheTextRules() {
        var input = IdentityInput(object: ["name": .string(Self.marked), "email": "a\u{0}@example.com", "password": "p\u{0}ssword"])
        XCTAssertNil(input.string("name", required: true))
        XCTAssertNil(input.string("email", required: true))
        // A password is hashed, never stored as text: any characters.
        XCTAssertEqual(input.string("password", required: true), "p\u{0}ssword")
        XCTAssertEqual(Dictionary(input.issues.map { ($0.field, $0.message) }) { first, _ in first },
                       ["name": "must be at most 200 characters", "email": "must not contain control characters"])
        // Checked as the store keeps it: trimmed.
        var trimmed = IdentityInput(object: ["name": "  Acme Pty Ltd\n"])
        XCTAssertEqual(trimmed.string("name", required: true), "  Acme Pty Ltd\n")
        XCTAssertTrue(trimmed.issues.isEmpty)
    }
}
