import ClientDomain
import Errors
import Foundation
import JSON
import XCTest

/// The workspace API's additions to the domain: phone normalisation, custom-field
/// definitions and values, the limits every client keeps, and their one coding.
final class WorkspaceFieldsTests: XCTestCase {
    func testPhoneNumbersNormaliseToE164FromTheAcceptedForms() {
        let accepted: [(String, String)] = [
            ("+1234567890", "+1234567890"), ("+1 (234) 567-890", "+1234567890"), ("+44 20 7946 0958", "+442079460958"),
            ("0044 20 7946 0958", "+442079460958"), ("00 44.20.7946.0958", "+442079460958"), (" +49 30 1234567 ", "+49301234567"),
            ("+6831234", "+6831234"), ("+123456789012345", "+123456789012345"), ("0 0 1 234 567 890", "+1234567890"),
        ]
        for (input, expected) in accepted {
            XCTAssertEqual(PhoneNumber.e164(input), expected, input)
        }
        let refused = ["(234) 567-890", "1234567890", "+0 123 4567", "+123456", "+1234567890123456", "+1 234 ext. 5",
                       "+1 234 567 890 x12", "\u{FF0B}１２３４５６７８", "+1\t234567890", "00 0 1234567", "+", "", "++1234567890",
                       "1+234567890", "+1/234/567/890", String(repeating: " ", count: 45) + "+1234567"]
        for input in refused {
            XCTAssertNil(PhoneNumber.e164(input), input)
        }
        XCTAssertTrue(PhoneNumber.isE164("+1234567890"))
        XCTAssertFalse(PhoneNumber.isE164("+1 234 567 890"))
    }

    func testASearchWrittenAsAPhoneLooksForItsDigits() {
        for (input, expected) in [("44 20", "4420"), ("+1 (234) 567-8", "+12345678"), ("0044 20.79", "+442079"), ("00442079", "+442079")] {
            XCTAssertEqual(PhoneNumber.searchFragment(input), expected, input)
        }
        // Nothing to remove, or not a phone: the text is searched as it is.
        for input in ["4420", "+44", "00", "00 ", "(  )", "555-01 ext", "ann 44", "", "４４ ２０"] {
            XCTAssertNil(PhoneNumber.searchFragment(input), input)
        }
    }

    func testDefinitionsCheckValuesOfEachType() {
        let text = CustomFieldDefinition(fieldKey: "notes", label: "Notes", type: .text)
        XCTAssertEqual(text.check("hello\nthere").value, .text("hello\nthere"))
        XCTAssertNotNil(text.check(.int(1)).problem)
        XCTAssertNotNil(text.check(.string(String(repeating: "é", count: 5_001))).problem, "10,000 bytes at most")
        XCTAssertNil(text.check(.string(String(repeating: "e", count: 10_000))).problem)

        let number = CustomFieldDefinition(fieldKey: "age", label: "Age", type: .number)
        XCTAssertEqual(number.check(.int(42)).value, .integer(42))
        XCTAssertEqual(number.check(.number(1.5)).value, .decimal(1.5))
        XCTAssertEqual(number.check(.number(2.0)).value, .integer(2), "an integral number is an integer")
        XCTAssertNotNil(number.check("42").problem)
        XCTAssertNotNil(number.check(.bool(true)).problem)

        let flag = CustomFieldDefinition(fieldKey: "vip", label: "VIP", type: .boolean)
        XCTAssertEqual(flag.check(.bool(false)).value, .boolean(false))
        XCTAssertNotNil(flag.check("true").problem)

        let date = CustomFieldDefinition(fieldKey: "since", label: "Since", type: .date)
        XCTAssertEqual(date.check("2024-02-29").value, .text("2024-02-29"))
        for bad in ["2023-02-29", "2024-13-01", "2024-1-01", "0000-01-01", "2024-01-32", "20240101", "2024-01-01T00:00:00Z"] {
            XCTAssertNotNil(date.check(.string(bad)).problem, bad)
        }

        let select = CustomFieldDefinition(fieldKey: "tier", label: "Tier", type: .select, options: ["gold", "silver"])
        XCTAssertEqual(select.check("gold").value, .text("gold"))
        XCTAssertNotNil(select.check("Gold").problem, "options compare exactly")
        XCTAssertNotNil(select.check(["gold"]).problem)

        let multiselect = CustomFieldDefinition(fieldKey: "tags", label: "Tags", type: .multiselect, options: ["a", "b", "c"])
        XCTAssertEqual(multiselect.check(["c", "a"]).value, .options(["c", "a"]))
        XCTAssertEqual(multiselect.check([]).value, .options([]))
        XCTAssertNotNil(multiselect.check(["a", "a"]).problem)
        XCTAssertNotNil(multiselect.check(["d"]).problem)
        XCTAssertNotNil(multiselect.check("a").problem)

        XCTAssertEqual(CustomFieldDefinition.checkUndefined("Preferred contact time: 9am-5pm").value,
                       .text("Preferred contact time: 9am-5pm"))
        XCTAssertNotNil(CustomFieldDefinition.checkUndefined(.int(3)).problem, "a key without a definition takes text only")
        XCTAssertFalse(CustomFieldDefinition.isGiven(.text("  ")))
        XCTAssertFalse(CustomFieldDefinition.isGiven(.options([])))
        XCTAssertTrue(CustomFieldDefinition.isGiven(.boolean(false)))
    }

    func testDefinitionsThemselvesAreChecked() {
        XCTAssertTrue(CustomFieldDefinition(fieldKey: "a_1", label: "A", type: .text).problems().isEmpty)
        XCTAssertEqual(CustomFieldDefinition(fieldKey: "1a", label: "A", type: .text).problems().map(\.field), ["fieldKey"])
        XCTAssertEqual(CustomFieldDefinition(fieldKey: "a", label: " ", type: .text).problems().map(\.field), ["label"])
        XCTAssertEqual(CustomFieldDefinition(fieldKey: "a", label: "A", type: .select).problems().map(\.field), ["options"])
        XCTAssertEqual(CustomFieldDefinition(fieldKey: "a", label: "A", type: .number, options: ["x"]).problems().map(\.field),
                       ["options"])
        XCTAssertEqual(CustomFieldDefinition(fieldKey: "a", label: "A", type: .multiselect, options: ["x", "x", ""])
            .problems().map(\.field), ["options[1]", "options[2]"])
        XCTAssertTrue(WorkspaceFieldLimits.isFieldKey("a" + String(repeating: "b", count: 63)))
        XCTAssertFalse(WorkspaceFieldLimits.isFieldKey("a" + String(repeating: "b", count: 64)))
        XCTAssertFalse(WorkspaceFieldLimits.isFieldKey("a-b"))
        XCTAssertFalse(WorkspaceFieldLimits.isFieldKey("é"))
    }

    func testContactMethodRulesNameTheField() {
        let limits = WorkspaceFieldLimits()
        func fields(_ methods: [ContactMethod]) -> [String] { limits.contactMethodProblems(methods).map(\.field) }
        let phone = ContactMethod(type: .phone, value: "+1234567890", isPreferred: true)
        let email = ContactMethod(type: .email, value: "john@example.com", isPreferred: false)
        XCTAssertEqual(fields([phone, email]), [])
        XCTAssertEqual(fields([phone, ContactMethod(type: .email, value: "john@example.com", isPreferred: true)]),
                       ["contactMethods[1].isPreferred"])
        XCTAssertEqual(fields([ContactMethod(type: .phone, value: "+1234567890", isPreferred: false), email]), ["contactMethods"])
        XCTAssertEqual(fields([phone, email, email]), ["contactMethods[2].value"])
        XCTAssertEqual(fields([phone, ContactMethod(type: .whatsapp, value: "+1234567890", isPreferred: false)]), [],
                       "the same value under another type is another method")
        XCTAssertEqual(fields([phone, ContactMethod(type: .email, value: "nope", isPreferred: false)]), ["contactMethods[1].value"])
        XCTAssertEqual(fields([phone, ContactMethod(type: .other, value: " ", isPreferred: false)]), ["contactMethods[1].value"])
        XCTAssertEqual(fields([phone] + (1...20).map { ContactMethod(type: .other, value: "x\($0)", isPreferred: false) }),
                       ["contactMethods"])
    }

    func testCustomFieldRulesNameTheField() {
        let limits = WorkspaceFieldLimits()
        XCTAssertEqual(limits.customFieldProblems(["notes": .text("x"), "age": .integer(3)]).map(\.field), [])
        XCTAssertEqual(limits.customFieldProblems(["bad-key": .text("x")]).map(\.field), ["customFields"])
        XCTAssertEqual(limits.customFieldProblems(["t": .text(String(repeating: "x", count: 10_001))]).map(\.field), ["customFields.t"])
        let many = Dictionary(uniqueKeysWithValues: (0...100).map { ("k\($0)", CustomFieldValue.boolean(true)) })
        XCTAssertEqual(limits.customFieldProblems(many).map(\.field), ["customFields"])
        let large = Dictionary(uniqueKeysWithValues: (0..<7).map { ("k\($0)", CustomFieldValue.text(String(repeating: "x", count: 10_000))) })
        XCTAssertEqual(limits.customFieldProblems(large).map(\.field), ["customFields"], "65,536 bytes together at most")
    }

    /// The workspace fields travel in events and internal requests in one coding; the
    /// `Codable` conformance the profile's synthesised one needs writes the same text.
    func testWorkspaceFieldsHaveOneCoding() throws {
        var profile = ClientProfile(name: "John Doe")
        profile.workspace = WorkspaceFields(
            contactMethods: [ContactMethod(type: .phone, value: "+1234567890", isPreferred: true),
                             ContactMethod(type: .email, value: "john@example.com", isPreferred: false)],
            customFields: ["notes": .text("9am-5pm"), "age": .integer(42), "ratio": .decimal(0.25), "vip": .boolean(true),
                           "tags": .options(["b", "a"])])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        XCTAssertEqual(String(decoding: try encoder.encode(profile), as: UTF8.self),
                       String(decoding: profile.json.serialized(), as: UTF8.self))
        XCTAssertEqual(try JSONDecoder().decode(ClientProfile.self, from: Data(profile.json.serialized())), profile)
        XCTAssertEqual(try ClientProfile(json: JSONObjectReader(profile.json)), profile)

        var changes = ClientProfileChanges(name: .set("J"))
        changes.workspace = WorkspaceFieldChanges(contactMethods: [ContactMethod(type: .fax, value: "+1 555", isPreferred: true)],
                                                  customFields: ["age": nil, "notes": .text("n")])
        XCTAssertEqual(String(decoding: try encoder.encode(changes), as: UTF8.self),
                       String(decoding: changes.json.serialized(), as: UTF8.self))
        XCTAssertEqual(try JSONDecoder().decode(ClientProfileChanges.self, from: Data(changes.json.serialized())), changes)
        XCTAssertEqual(try ClientProfileChanges(json: JSONObjectReader(changes.json)), changes)
        let event = ClientEvent.profileChanged(ClientProfileChanged(changes: changes))
        let envelope = EventEnvelope(type: event.type, schemaVersion: event.schemaVersion, streamId: UUID(), streamVersion: 2,
                                     tenantId: UUID(), occurredAt: Date(timeIntervalSince1970: 1_700_000_000), actor: .system,
                                     correlationId: "c", causationId: nil, data: try event.encode())
        XCTAssertEqual(try ClientEvent.decode(envelope), event)
    }
}

extension Result {
    var value: Success? { if case .success(let value) = self { value } else { nil } }
    var problem: Failure? { if case .failure(let problem) = self { problem } else { nil } }
}
