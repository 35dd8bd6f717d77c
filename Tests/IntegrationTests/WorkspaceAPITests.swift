import Foundation
import HTTP
import TestSupport
import XCTest

/// The workspace clients API through the real stack: the document's route as written, every
/// rule with its status and field, authorization, custom-field definitions, lists, and the
/// rest of the resource (get, patch with ETags, delete, idempotency).
final class WorkspaceAPITests: XCTestCase {
    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    /// The API document's example body, byte for byte as the document writes it.
    static let documentExample = """
        {
        "name": "John Doe",
        "avatarUrl": "https://example.com/avatar.jpg",
        "contactMethods": [
        {
        "type": "phone",
        "value": "+1234567890",
        "isPreferred": true
        },
        {
        "type": "email",
        "value": "john@example.com",
        "isPreferred": false
        }
        ],
        "customFields": [
        {
        "fieldKey": "notes",
        "value": "Preferred contact time: 9am-5pm"
        }
        ]
        }
        """

    func testTheDocumentsExampleCreatesTheWholeClient() async throws {
        let world = try await WorkspaceWorld.make(http: http)
        let reply = try await world.call(.POST, world.clients, body: Array(Self.documentExample.utf8))
        XCTAssertEqual(reply.status, 201, reply.excerpt)
        let client = try XCTUnwrap(reply.json["client"])
        let id = try XCTUnwrap(client.string("id"))
        XCTAssertNotNil(UUID(uuidString: id))
        XCTAssertEqual(client["name"], "John Doe")
        XCTAssertEqual(client["avatarUrl"], "https://example.com/avatar.jpg")
        XCTAssertEqual(client["contactMethods"], [["type": "phone", "value": "+1234567890", "isPreferred": true],
                                                  ["type": "email", "value": "john@example.com", "isPreferred": false]])
        XCTAssertEqual(client["customFields"], [["fieldKey": "notes", "value": "Preferred contact time: 9am-5pm"]])
        XCTAssertNotNil(client.string("createdAt").flatMap(ISO8601DateFormatter.withFractions.date(from:)))
        XCTAssertEqual(client["createdAt"], client["updatedAt"])
        XCTAssertEqual(reply.headers["Location"], "\(world.clients)/\(id)")
        XCTAssertEqual(reply.headers["ETag"], "\"1\"")

        let read = try await world.call(.GET, "\(world.clients)/\(id)")
        XCTAssertEqual(read.status, 200)
        XCTAssertEqual(read.json["client"], client, "read your write: the get answers what the create did")
        // The cookie works as well as the bearer token.
        let byCookie = try await world.call(.GET, "\(world.clients)/\(id)", as: "nobody",
                                            body: nil, headers: ["Cookie": "token=\(world.tokens["admin"]!)"])
        XCTAssertEqual(byCookie.status, 200)
    }

    func testValuesAreNormalisedAndAnsweredAsStored() async throws {
        let world = try await WorkspaceWorld.make(http: http)
        let client = try await world.create([
            "name": "Norma", "contactMethods": [
                ["type": "phone", "value": "+1 (234) 567-890", "isPreferred": false],
                ["type": "whatsapp", "value": "0044 20 7946 0958", "isPreferred": true],
                ["type": "email", "value": "Norma.Jean@Example.COM", "isPreferred": false],
                ["type": "fax", "value": "+1 555 0100", "isPreferred": false],
                ["type": "other", "value": "@norma on Signal", "isPreferred": false],
            ],
        ])
        XCTAssertEqual(client["contactMethods"], [
            ["type": "phone", "value": "+1234567890", "isPreferred": false],
            ["type": "whatsapp", "value": "+442079460958", "isPreferred": true],
            ["type": "email", "value": "norma.jean@example.com", "isPreferred": false],
            ["type": "fax", "value": "+1 555 0100", "isPreferred": false],
            ["type": "other", "value": "@norma on Signal", "isPreferred": false],
        ])
        XCTAssertEqual(client["avatarUrl"], .null)
        XCTAssertEqual(client["customFields"], [])
    }

    /// Every rule: its status (400 malformed, 422 a rule broken) and the fields it names.
    func testEveryRuleAnswersItsStatusNamingEveryFailingField() async throws {
        let world = try await WorkspaceWorld.make(http: http)
        let phone: JSONValue = ["type": "phone", "value": "+1234567890", "isPreferred": true]
        let email: JSONValue = ["type": "email", "value": "rule@example.com", "isPreferred": false]
        func body(_ changes: [String: JSONValue?]) -> String {
            var object: [String: JSONValue] = ["name": "Rule", "contactMethods": [phone, email]]
            for (key, value) in changes { object[key] = value }
            return String(decoding: JSONValue.object(object).serialized(), as: UTF8.self)
        }
        func methods(_ items: JSONValue...) -> [String: JSONValue?] { ["contactMethods": .array(items)] }
        func method(_ type: String, _ value: String, _ preferred: Bool = false) -> JSONValue {
            ["type": .string(type), "value": .string(value), "isPreferred": .bool(preferred)]
        }
        func custom(_ items: JSONValue...) -> [String: JSONValue?] { ["customFields": .array(items)] }
        let manyMethods = (0...20).map { method("other", "way \($0)", $0 == 0) }
        let manyFields = (0...100).map { JSONValue.object(["fieldKey": .string("k\($0)"), "value": "v"]) }
        let cases: [(String, String, Int, [String])] = [
            ("not JSON", "{", 400, ["body"]),
            ("not an object", "[1]", 400, ["body"]),
            ("no name", body(["name": nil]), 400, ["name"]),
            ("a name of the wrong type", body(["name": 5]), 400, ["name"]),
            ("an empty name", body(["name": ""]), 422, ["name"]),
            ("a blank name", body(["name": "  \u{3000}"]), 422, ["name"]),
            ("a name too long", body(["name": .string(String(repeating: "n", count: 201))]), 422, ["name"]),
            ("an unknown key", body(["nickname": "J"]), 400, ["nickname"]),
            ("no contact methods", body(["contactMethods": nil]), 400, ["contactMethods"]),
            ("contact methods not an array", body(["contactMethods": "phone"]), 400, ["contactMethods"]),
            ("no contact method", body(["contactMethods": []]), 422, ["contactMethods"]),
            ("21 contact methods", body(["contactMethods": .array(manyMethods)]), 422, ["contactMethods"]),
            ("a contact method not an object", body(methods(phone, "x")), 400, ["contactMethods[1]"]),
            ("isPreferred missing", body(methods(phone, ["type": "email", "value": "a@example.com"])), 400,
             ["contactMethods[1].isPreferred"]),
            ("isPreferred of the wrong type", body(methods(["type": "phone", "value": "+1234567890", "isPreferred": "yes"])), 400,
             ["contactMethods[0].isPreferred"]),
            ("a value of the wrong type", body(methods(["type": "phone", "value": 1234567890, "isPreferred": true])), 400,
             ["contactMethods[0].value"]),
            ("an unknown key in a contact method", body(methods(["type": "phone", "value": "+1234567890", "isPreferred": true,
                                                                  "label": "home"])), 400, ["contactMethods[0].label"]),
            ("an unknown contact type", body(methods(phone, method("pager", "123"))), 422, ["contactMethods[1].type"]),
            ("an empty value", body(methods(phone, method("other", ""))), 422, ["contactMethods[1].value"]),
            ("two preferred", body(methods(phone, method("email", "a@example.com", true))), 422, ["contactMethods[1].isPreferred"]),
            ("none preferred", body(methods(method("phone", "+1234567890"), email)), 422, ["contactMethods"]),
            ("an email that is not one", body(methods(phone, method("email", "not-an-email"))), 422, ["contactMethods[1].value"]),
            ("a phone without a country code", body(methods(method("phone", "(555) 123-4567", true))), 422,
             ["contactMethods[0].value"]),
            ("a WhatsApp number that is not a phone", body(methods(method("whatsapp", "john", true))), 422, ["contactMethods[0].value"]),
            ("the same email twice once normalised", body(methods(phone, method("email", "A@example.com"), method("email", "a@EXAMPLE.com"))),
             422, ["contactMethods[2].value"]),
            ("the same phone twice once normalised", body(methods(phone, method("phone", "+1 234 567 890"))), 422,
             ["contactMethods[1].value"]),
            ("an avatar of the wrong type", body(["avatarUrl": 5]), 400, ["avatarUrl"]),
            ("an avatar that is not http", body(["avatarUrl": "ftp://example.com/a.png"]), 422, ["avatarUrl"]),
            ("a relative avatar", body(["avatarUrl": "/a.png"]), 422, ["avatarUrl"]),
            ("an avatar over 2,048 bytes", body(["avatarUrl": .string("https://example.com/" + String(repeating: "a", count: 2_029))]),
             422, ["avatarUrl"]),
            ("custom fields not an array", body(["customFields": "notes"]), 400, ["customFields"]),
            ("a custom field without a key", body(custom(["value": "x"])), 400, ["customFields[0].fieldKey"]),
            ("a custom field without a value", body(custom(["fieldKey": "notes"])), 400, ["customFields[0].value"]),
            ("a custom value that is an object", body(custom(["fieldKey": "notes", "value": ["a": 1]])), 400,
             ["customFields[0].value"]),
            ("a key that breaks the pattern", body(custom(["fieldKey": "1notes", "value": "x"])), 422, ["customFields[0].fieldKey"]),
            ("a key twice", body(custom(["fieldKey": "a", "value": "x"], ["fieldKey": "a", "value": "y"])), 422,
             ["customFields[1].fieldKey"]),
            ("a number for a key without a definition", body(custom(["fieldKey": "age", "value": 42])), 422, ["customFields[0].value"]),
            ("text over 10,000 bytes", body(custom(["fieldKey": "notes", "value": .string(String(repeating: "é", count: 5_001))])),
             422, ["customFields[0].value"]),
            ("101 custom fields", body(["customFields": .array(manyFields)]), 422, ["customFields"]),
            ("malformed and broken together", body(["name": 5, "contactMethods": [method("pager", "1", true)]]), 400,
             ["name", "contactMethods[0].type"]),
        ]
        for (what, text, status, fields) in cases {
            let reply = try await world.call(.POST, world.clients, body: Array(text.utf8))
            XCTAssertEqual(reply.status, status, "\(what): \(reply.excerpt)")
            let named = reply.json.array("details").compactMap { $0.string("field") }
            XCTAssertEqual(named, fields, "\(what): \(reply.excerpt)")
            XCTAssertNotNil(reply.json.string("error"), what)
        }
        // Nothing above was stored.
        let list = try await world.call(.GET, world.clients)
        XCTAssertEqual(list.json.array("clients").count, 0)
    }

    func testPermissionsWorkspacesAndOtherCompaniesClients() async throws {
        let world = try await WorkspaceWorld.make(http: http)
        let mine = try await world.create(WorkspaceWorld.body("mine"))
        let id = try XCTUnwrap(mine.string("id"))
        let client = "\(world.clients)/\(id)"
        // Each permission missing in turn: 403 naming it.
        let missing: [(String, HTTPMethod, String, JSONValue?, String)] = [
            ("finance", .POST, world.clients, WorkspaceWorld.body("f"), "clients.create"),
            ("agent", .POST, world.clients, WorkspaceWorld.body("a"), "clients.create"),
            ("unreading", .GET, world.clients, nil, "clients.read"),
            ("unreading", .GET, client, nil, "clients.read"),
            ("unreading", .GET, world.customFields, nil, "clients.read"),
            ("finance", .PATCH, client, ["name": "F"], "clients.update"),
            ("agent", .PATCH, client, ["name": "A"], "clients.update"),
            ("sales", .DELETE, client, nil, "clients.delete"),
            ("finance", .DELETE, client, nil, "clients.delete"),
            ("sales", .POST, world.customFields, ["fieldKey": "tier", "label": "Tier", "type": "text"], "custom_fields.manage"),
            ("sales", .DELETE, world.customFields + "/tier", nil, "custom_fields.manage"),
        ]
        for (role, method, path, body, permission) in missing {
            let reply = try await world.call(method, path, as: role, json: body)
            XCTAssertEqual(reply.status, 403, "\(role) \(method) \(path): \(reply.excerpt)")
            XCTAssertTrue(reply.json.string("error")?.contains(permission) == true, "\(role): \(reply.excerpt)")
        }
        // What each role may do: sales create, read and change; finance and agents read.
        _ = try await world.create(WorkspaceWorld.body("sales"), as: "sales")
        for role in ["sales", "finance", "agent", "root"] {
            let reply = try await world.call(.GET, client, as: role)
            XCTAssertEqual(reply.status, 200, role)
        }
        let changed = try await world.call(.PATCH, client, as: "sales", json: ["name": "Changed by sales"])
        XCTAssertEqual(changed.status, 200, changed.excerpt)

        // Not a member, an unknown workspace, a malformed one: the same 404.
        for path in [client, world.clients, world.customFields, "/v1/workspace/\(UUID().uuidString.lowercased())/clients",
                     "/v1/workspace/not-a-uuid/clients", "/v1/workspace/\(world.otherCompanyId)/clients/\(id)"] {
            let reply = try await world.call(.GET, path, as: path.contains(world.otherCompanyId) ? "admin" : "outsider")
            XCTAssertEqual(reply.status, 404, path)
            XCTAssertEqual(reply.json.string("error"), "Workspace not found", path)
        }
        // Another company's client under one's own workspace is not found, for every method.
        let theirs = try await world.call(.POST, "/v1/workspace/\(world.otherCompanyId)/clients", as: "outsider",
                                          json: WorkspaceWorld.body("theirs"))
        XCTAssertEqual(theirs.status, 201, theirs.excerpt)
        let theirsId = try XCTUnwrap(theirs.json["client"]?.string("id"))
        for (method, body) in [(HTTPMethod.GET, nil), (.PATCH, ["name": "Mine now"]), (.DELETE, nil)] as [(HTTPMethod, JSONValue?)] {
            let reply = try await world.call(method, "\(world.clients)/\(theirsId)", json: body)
            XCTAssertEqual(reply.status, 404, "\(method): \(reply.excerpt)")
            XCTAssertEqual(reply.json.string("error"), "Client not found")
        }
        // A super-admin reaches every workspace; no credential is 401.
        let root = try await world.call(.GET, "/v1/workspace/\(world.otherCompanyId)/clients/\(theirsId)", as: "root")
        XCTAssertEqual(root.status, 200)
        let anonymous = try await world.call(.GET, world.clients, as: "nobody")
        XCTAssertEqual(anonymous.status, 401)
    }

    func testCustomFieldDefinitionsCheckValuesAndTheirDeletionKeepsValuesAsText() async throws {
        let world = try await WorkspaceWorld.make(http: http)
        let definitions: [JSONValue] = [
            ["fieldKey": "age", "label": "Age", "type": "number"],
            ["fieldKey": "vip", "label": "VIP", "type": "boolean"],
            ["fieldKey": "since", "label": "Client since", "type": "date"],
            ["fieldKey": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"], "required": true],
            ["fieldKey": "tags", "label": "Tags", "type": "multiselect", "options": ["a", "b", "c"]],
            ["fieldKey": "bio", "label": "Bio", "type": "text"],
        ]
        for definition in definitions {
            let reply = try await world.call(.POST, world.customFields, json: definition)
            XCTAssertEqual(reply.status, 201, reply.excerpt)
            XCTAssertEqual(reply.json["customField"]?["fieldKey"], definition["fieldKey"])
        }
        let badDefinitions: [(JSONValue, Int, [String])] = [
            (["fieldKey": "age", "label": "Again", "type": "text"], 409, []),
            (["fieldKey": "x", "label": "X", "type": "color"], 422, ["type"]),
            (["fieldKey": "x", "label": "X", "type": "select"], 422, ["options"]),
            (["fieldKey": "x", "label": "X", "type": "text", "options": ["a"]], 422, ["options"]),
            (["fieldKey": "x", "label": "X", "type": "select", "options": ["a", "a"]], 422, ["options[1]"]),
            (["fieldKey": "9x", "label": "X", "type": "text"], 422, ["fieldKey"]),
            (["fieldKey": "x", "label": "", "type": "text"], 422, ["label"]),
            (["fieldKey": "x", "type": "text"], 400, ["label"]),
            (["fieldKey": "x", "label": "X", "type": "text", "required": "yes"], 400, ["required"]),
        ]
        for (definition, status, fields) in badDefinitions {
            let reply = try await world.call(.POST, world.customFields, json: definition)
            XCTAssertEqual(reply.status, status, "\(definition): \(reply.excerpt)")
            if !fields.isEmpty { XCTAssertEqual(reply.json.array("details").compactMap { $0.string("field") }, fields, reply.excerpt) }
        }
        let listed = try await world.call(.GET, world.customFields, as: "agent")
        XCTAssertEqual(listed.json.array("customFields").compactMap { $0.string("fieldKey") }, ["age", "bio", "since", "tags", "tier", "vip"])

        func body(_ fields: [String: JSONValue]) -> JSONValue {
            var body = WorkspaceWorld.body(UUID().uuidString.prefix(8).lowercased())
            var custom = fields
            if custom["tier"] == nil { custom["tier"] = "gold" }
            if case .object(var object) = body {
                object["customFields"] = .array(custom.sorted { $0.key < $1.key }.map { ["fieldKey": .string($0.key), "value": $0.value] })
                body = .object(object)
            }
            return body
        }
        // Valid values of each type, answered typed.
        let valid = try await world.create(body(["age": 42, "vip": false, "since": "2024-02-29", "tags": ["c", "a"],
                                                 "bio": "line one\nline two", "notes": "kept as text"]))
        XCTAssertEqual(valid["customFields"], [
            ["fieldKey": "age", "value": 42], ["fieldKey": "bio", "value": "line one\nline two"],
            ["fieldKey": "notes", "value": "kept as text"], ["fieldKey": "since", "value": "2024-02-29"],
            ["fieldKey": "tags", "value": ["c", "a"]], ["fieldKey": "tier", "value": "gold"], ["fieldKey": "vip", "value": false],
        ])
        _ = try await world.create(body(["age": 41.5]))
        // Invalid values of each type; a required field missing or empty.
        let invalid: [([String: JSONValue], String)] = [
            (["age": "42"], "age"), (["age": true], "age"), (["vip": "true"], "vip"), (["since": "2023-02-29"], "since"),
            (["since": "29/02/2024"], "since"), (["tier": "bronze"], "tier"), (["tier": ["gold"]], "tier"),
            (["tags": ["d"]], "tags"), (["tags": ["a", "a"]], "tags"), (["tags": "a"], "tags"), (["bio": 3], "bio"),
            (["tier": ""], "tier"),
        ]
        for (fields, key) in invalid {
            let sent = body(fields)
            let reply = try await world.call(.POST, world.clients, json: sent)
            XCTAssertEqual(reply.status, 422, "\(fields): \(reply.excerpt)")
            let index = sent.array("customFields").firstIndex { $0.string("fieldKey") == key }!
            XCTAssertEqual(reply.json.array("details").compactMap { $0.string("field") }, ["customFields[\(index)].value"],
                           "\(fields): \(reply.excerpt)")
        }
        let withoutRequired = try await world.call(.POST, world.clients, json: WorkspaceWorld.body("no-tier"))
        XCTAssertEqual(withoutRequired.status, 422)
        XCTAssertTrue(withoutRequired.json.array("details").first?.string("message")?.contains("tier") == true, withoutRequired.excerpt)

        // Filters by type: a number numerically, a multiselect by option.
        let byAge = try await world.call(.GET, world.clients + "?cf.age=42.0")
        XCTAssertEqual(byAge.json.array("clients").compactMap { $0.string("id") }, [valid.string("id")!])
        let byTag = try await world.call(.GET, world.clients + "?cf.tags=a&cf.vip=false")
        XCTAssertEqual(byTag.json.array("clients").count, 1)
        let badFilter = try await world.call(.GET, world.clients + "?cf.age=old")
        XCTAssertEqual(badFilter.status, 400)
        XCTAssertEqual(badFilter.json.array("details").first?.string("field"), "cf.age")

        // A change of a definition; a required field cannot be removed from a client.
        let relabel = try await world.call(.PATCH, world.customFields + "/tier", json: ["label": "Level", "options": ["gold", "bronze"]])
        XCTAssertEqual(relabel.status, 200, relabel.excerpt)
        XCTAssertEqual(relabel.json["customField"]?["options"], ["gold", "bronze"])
        let typeChange = try await world.call(.PATCH, world.customFields + "/tier", json: ["type": "text"])
        XCTAssertEqual(typeChange.status, 400, "the type never changes")
        let removeRequired = try await world.call(.PATCH, "\(world.clients)/\(valid.string("id")!)",
                                                  json: ["customFields": [["fieldKey": "tier", "value": .null]]])
        XCTAssertEqual(removeRequired.status, 422)

        // Deleting definitions keeps the values, answered as text from then on.
        for key in ["age", "vip", "tags"] {
            let reply = try await world.call(.DELETE, world.customFields + "/" + key)
            XCTAssertEqual(reply.status, 204)
        }
        let gone = try await world.call(.DELETE, world.customFields + "/age")
        XCTAssertEqual(gone.status, 404)
        let after = try await world.call(.GET, "\(world.clients)/\(valid.string("id")!)")
        XCTAssertEqual(after.json["client"]?["customFields"], [
            ["fieldKey": "age", "value": "42"], ["fieldKey": "bio", "value": "line one\nline two"],
            ["fieldKey": "notes", "value": "kept as text"], ["fieldKey": "since", "value": "2024-02-29"],
            ["fieldKey": "tags", "value": "c, a"], ["fieldKey": "tier", "value": "gold"], ["fieldKey": "vip", "value": "false"],
        ])
        // Its text still finds it.
        let byText = try await world.call(.GET, world.clients + "?cf.age=42")
        XCTAssertEqual(byText.json.array("clients").compactMap { $0.string("id") }, [valid.string("id")!])
    }

    func testListsPageByCursorFilterAndSort() async throws {
        let world = try await WorkspaceWorld.make(http: http)
        var ids: [String: String] = [:]
        for (name, type, value) in [("Cleo", "email", "cleo@example.com"), ("amos", "phone", "+44 20 7946 0001"),
                                    ("Bea", "whatsapp", "+1 555 000 1234"), ("Dov", "fax", "+1 555 999")] {
            let client = try await world.create(["name": .string(name),
                                                 "contactMethods": [["type": .string(type), "value": .string(value), "isPreferred": true]]])
            ids[name] = client.string("id")
        }
        func expect(_ query: String, _ expected: [String], line: UInt = #line) async throws {
            let reply = try await world.call(.GET, world.clients + query)
            XCTAssertEqual(reply.status, 200, "\(query): \(reply.excerpt)", line: line)
            XCTAssertEqual(reply.json.array("clients").compactMap { $0.string("name") }, expected, query, line: line)
        }
        try await expect("", ["Cleo", "amos", "Bea", "Dov"])
        try await expect("?sort=-createdAt", ["Dov", "Bea", "amos", "Cleo"])
        try await expect("?q=44%2020", ["amos"])
        try await expect("?q=BE", ["Bea"])
        try await expect("?contactType=whatsapp", ["Bea"])
        try await expect("?contactType=email&q=cleo", ["Cleo"])

        // Every page of one, by name, following nextCursor to the end.
        var seen: [String] = []
        var cursor: String?
        repeat {
            let reply = try await world.call(.GET, world.clients + "?limit=1&sort=name" + (cursor.map { "&cursor=" + $0 } ?? ""))
            seen += reply.json.array("clients").compactMap { $0.string("name") }
            cursor = reply.json.string("nextCursor")
        } while cursor != nil && seen.count < 10
        XCTAssertEqual(seen.count, 4, "every client once: \(seen)")
        XCTAssertEqual(Set(seen), ["Cleo", "amos", "Bea", "Dov"])
        let byName = try await world.call(.GET, world.clients + "?sort=name")
        XCTAssertEqual(byName.json.array("clients").compactMap { $0.string("name") }, seen, "the pages in the one list's order")

        let first = try await world.call(.GET, world.clients + "?limit=2&sort=-updatedAt")
        let next = try XCTUnwrap(first.json.string("nextCursor"))
        let otherSort = try await world.call(.GET, world.clients + "?limit=2&sort=name&cursor=" + next)
        XCTAssertEqual(otherSort.status, 400, "a cursor belongs to its sort")
        for bad in ["?limit=0", "?limit=101", "?sort=email", "?contactType=pager", "?cursor=garbage", "?cf.bad-key=1", "?q=%00"] {
            let reply = try await world.call(.GET, world.clients + bad)
            XCTAssertEqual(reply.status, 400, bad)
        }
    }

    func testPatchIsPartialWithETagsAndDeleteAnswers204() async throws {
        let world = try await WorkspaceWorld.make(http: http)
        let created = try await world.create([
            "name": "Pat", "avatarUrl": "https://example.com/p.png",
            "contactMethods": [["type": "email", "value": "pat@example.com", "isPreferred": true]],
            "customFields": [["fieldKey": "a", "value": "1"], ["fieldKey": "b", "value": "2"]],
        ])
        let client = "\(world.clients)/\(created.string("id")!)"
        let stale = try await world.call(.PATCH, client, json: ["name": "X"], headers: ["If-Match": "\"7\""])
        XCTAssertEqual(stale.status, 412)
        let patched = try await world.call(.PATCH, client, json: [
            "avatarUrl": .null,
            "contactMethods": [["type": "phone", "value": "+1234567890", "isPreferred": true]],
            "customFields": [["fieldKey": "a", "value": .null], ["fieldKey": "c", "value": "3"]],
        ], headers: ["If-Match": "\"1\""])
        XCTAssertEqual(patched.status, 200, patched.excerpt)
        XCTAssertEqual(patched.headers["ETag"], "\"2\"")
        let after = try XCTUnwrap(patched.json["client"])
        XCTAssertEqual(after["name"], "Pat", "absent fields stay")
        XCTAssertEqual(after["avatarUrl"], .null)
        XCTAssertEqual(after["contactMethods"], [["type": "phone", "value": "+1234567890", "isPreferred": true]],
                       "the contact methods are replaced as a whole")
        XCTAssertEqual(after["customFields"], [["fieldKey": "b", "value": "2"], ["fieldKey": "c", "value": "3"]],
                       "custom fields merge by key; null removes")
        XCTAssertNotEqual(after["updatedAt"], created["updatedAt"])
        let unchanged = try await world.call(.PATCH, client, json: [:])
        XCTAssertEqual(unchanged.status, 200)
        XCTAssertEqual(unchanged.headers["ETag"], "\"2\"", "an empty patch changes nothing")
        let cleared = try await world.call(.PATCH, client, json: ["name": .null])
        XCTAssertEqual(cleared.status, 422)

        let deleted = try await world.call(.DELETE, client, headers: ["If-Match": "\"2\""])
        XCTAssertEqual(deleted.status, 204)
        XCTAssertTrue(deleted.body.isEmpty)
        let missing = try await world.call(.GET, client)
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(missing.json.string("error"), "Client not found")
    }

    func testIdempotencyKeyAnswersTheFirstCreate() async throws {
        let world = try await WorkspaceWorld.make(http: http)
        let body = WorkspaceWorld.body("idem")
        let first = try await world.call(.POST, world.clients, json: body, headers: ["Idempotency-Key": "k-1"])
        let again = try await world.call(.POST, world.clients, json: body, headers: ["Idempotency-Key": "k-1"])
        XCTAssertEqual(first.status, 201)
        XCTAssertEqual(again.status, 201)
        XCTAssertEqual(again.headers["Idempotent-Replayed"], "true")
        XCTAssertEqual(first.json["client"]?["id"], again.json["client"]?["id"])
        let other = try await world.call(.POST, world.clients, json: WorkspaceWorld.body("other"), headers: ["Idempotency-Key": "k-1"])
        XCTAssertEqual(other.status, 422, "the same key with another body")
        let list = try await world.call(.GET, world.clients)
        XCTAssertEqual(list.json.array("clients").count, 1)
        // Another client with the same email is a conflict naming the contact method.
        let taken = try await world.call(.POST, world.clients, json: ["name": "Twin", "contactMethods": [
            ["type": "phone", "value": "+1999999999", "isPreferred": true],
            ["type": "email", "value": "IDEM@example.com", "isPreferred": false]]])
        XCTAssertEqual(taken.status, 409, taken.excerpt)
        XCTAssertEqual(taken.json.array("details").first?.string("field"), "contactMethods[1].value")
    }
}

extension ISO8601DateFormatter {
    /// RFC 3339 with fractional seconds, as the APIs write times.
    static var withFractions: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
