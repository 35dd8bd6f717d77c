import Foundation
import HTTP
import TestSupport
import XCTest

/// One client, many faces: a client created through the workspace API is the same client the
/// organization API (`/api/v1`, with the company's key) and the admin API (`/api/admin/clients`,
/// with an admin's session) read and change, and the workspace API reads their changes back.
/// The email and phone the other faces show come from the contact methods: the preferred
/// method of that type, else the first; a phone set through another face is a phone contact
/// method here.
final class WorkspaceFacesTests: XCTestCase {
    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    func testOneClientCreatedHereIsReadAndChangedThroughEveryFace() async throws {
        let world = try await WorkspaceWorld.make(http: http)
        let faces = world.faces
        let created = try await world.create([
            "name": "Faye Faces",
            "contactMethods": [
                ["type": "whatsapp", "value": "+1 999 000 1111", "isPreferred": true],
                ["type": "email", "value": "faye.first@example.com", "isPreferred": false],
                ["type": "phone", "value": "+1 (234) 567-890", "isPreferred": false],
                ["type": "email", "value": "Faye.Second@Example.com", "isPreferred": false],
                ["type": "phone", "value": "+44 20 7946 0958", "isPreferred": false],
            ],
            "customFields": [["fieldKey": "notes", "value": "seen on every face"]],
        ])
        let id = try XCTUnwrap(created.string("id"))
        let here = "\(world.clients)/\(id)"

        // The organization API: the same id, the name, the first phone (WhatsApp is not a phone).
        let v1 = try await faces.gateway.call(.GET, "/api/v1/clients/\(id)", as: .apiKey(faces.apiKey))
        XCTAssertEqual(v1.status, 200, v1.excerpt)
        XCTAssertEqual(v1.json["data"]?["name"], "Faye Faces")
        XCTAssertEqual(v1.json["data"]?["phone"], "+1234567890", "no phone preferred: the first")

        // The admin API: the same client by its number, its email the first email (none preferred).
        let adminId = try await adminId(of: "Faye Faces", faces: faces)
        let admin = try await faces.gateway.call(.GET, "/api/admin/clients/\(adminId)", as: .session(faces.admin))
        XCTAssertEqual(admin.status, 200, admin.excerpt)
        XCTAssertEqual(admin.json["data"]?["displayName"], "Faye Faces")
        XCTAssertEqual(admin.json["data"]?["email"], "faye.first@example.com", "no email preferred: the first")
        XCTAssertEqual(admin.json["data"]?["phone"], "+1234567890")

        // The workspace makes the second email preferred: the other faces follow.
        let preferSecond = try await world.call(.PATCH, here, json: ["contactMethods": [
            ["type": "email", "value": "faye.first@example.com", "isPreferred": false],
            ["type": "phone", "value": "+1234567890", "isPreferred": false],
            ["type": "email", "value": "faye.second@example.com", "isPreferred": true],
            ["type": "phone", "value": "+442079460958", "isPreferred": false],
        ]])
        XCTAssertEqual(preferSecond.status, 200, preferSecond.excerpt)
        let adminAfter = try await faces.gateway.call(.GET, "/api/admin/clients/\(adminId)", as: .session(faces.admin))
        XCTAssertEqual(adminAfter.json["data"]?["email"], "faye.second@example.com", "the preferred email")

        // The organization API changes the phone: the method it came from (the first phone) changes.
        let v1Patch = try await faces.gateway.call(.PATCH, "/api/v1/clients/\(id)", as: .apiKey(faces.apiKey),
                                                   json: ["phone": "+15550001234", "notes": "changed through /api/v1"])
        XCTAssertEqual(v1Patch.status, 200, v1Patch.excerpt)
        // The admin API changes the email: the preferred email method it came from changes.
        let adminPut = try await faces.gateway.call(.PUT, "/api/admin/clients/\(adminId)", as: .session(faces.admin),
                                                    json: ["email": "faye.third@example.com", "displayName": "Faye Admin"])
        XCTAssertEqual(adminPut.status, 200, adminPut.excerpt)

        // Read back here: every other method, and the custom fields, as they were.
        let back = try await world.call(.GET, here)
        XCTAssertEqual(back.status, 200, back.excerpt)
        XCTAssertEqual(back.json["client"]?["contactMethods"], [
            ["type": "email", "value": "faye.first@example.com", "isPreferred": false],
            ["type": "phone", "value": "+15550001234", "isPreferred": false],
            ["type": "email", "value": "faye.third@example.com", "isPreferred": true],
            ["type": "phone", "value": "+442079460958", "isPreferred": false],
        ], back.excerpt)
        XCTAssertEqual(back.json["client"]?["name"], "Faye Faces", "the admin API's display name is its own field")
        XCTAssertEqual(back.json["client"]?["customFields"], [["fieldKey": "notes", "value": "seen on every face"]],
                       "the organization API's notes are not the workspace's custom field")
        XCTAssertEqual(back.headers["ETag"], "\"4\"", "create, the workspace's patch, /api/v1's, the admin API's")
        let v1Back = try await faces.gateway.call(.GET, "/api/v1/clients/\(id)", as: .apiKey(faces.apiKey))
        XCTAssertEqual(v1Back.json["data"]?["phone"], "+15550001234")
    }

    func testAPhoneSetThroughTheOrganizationAPIIsAPhoneContactMethod() async throws {
        let world = try await WorkspaceWorld.make(http: http)
        let faces = world.faces
        // A client with only an email gains a phone through /api/v1: a phone method, appended, not preferred.
        let created = try await world.create(["name": "Only Mail", "contactMethods": [
            ["type": "email", "value": "only.mail@example.com", "isPreferred": true]]])
        let id = try XCTUnwrap(created.string("id"))
        let patch = try await faces.gateway.call(.PATCH, "/api/v1/clients/\(id)", as: .apiKey(faces.apiKey),
                                                 json: ["phone": "+15550009999"])
        XCTAssertEqual(patch.status, 200, patch.excerpt)
        let read = try await world.call(.GET, "\(world.clients)/\(id)")
        XCTAssertEqual(read.json["client"]?["contactMethods"], [
            ["type": "email", "value": "only.mail@example.com", "isPreferred": true],
            ["type": "phone", "value": "+15550009999", "isPreferred": false],
        ], read.excerpt)
        let listed = try await world.call(.GET, world.clients + "?contactType=phone")
        XCTAssertEqual(listed.json.array("clients").compactMap { $0.string("id") }, [id], "the phone filter sees it")

        // Clearing the phone there removes it here.
        let cleared = try await faces.gateway.call(.PATCH, "/api/v1/clients/\(id)", as: .apiKey(faces.apiKey), json: ["phone": .null])
        XCTAssertEqual(cleared.status, 200, cleared.excerpt)
        let after = try await world.call(.GET, "\(world.clients)/\(id)")
        XCTAssertEqual(after.json["client"]?["contactMethods"], [["type": "email", "value": "only.mail@example.com", "isPreferred": true]])

        // A client of /api/v1 with a phone shows it here as its one, preferred, phone method.
        let v1 = try await faces.gateway.call(.POST, "/api/v1/clients", as: .apiKey(faces.apiKey),
                                              json: ["name": "Org Made", "phone": "+15550004444"])
        XCTAssertEqual(v1.status, 201, v1.excerpt)
        let v1Id = try XCTUnwrap(v1.json["data"]?.string("id"))
        let shown = try await world.call(.GET, "\(world.clients)/\(v1Id)")
        XCTAssertEqual(shown.status, 200, shown.excerpt)
        XCTAssertEqual(shown.json["client"]?["name"], "Org Made")
        XCTAssertEqual(shown.json["client"]?["contactMethods"], [["type": "phone", "value": "+15550004444", "isPreferred": true]])
        XCTAssertEqual(shown.json["client"]?["customFields"], [])
    }

    /// The admin API's id (`client_<number>`) of the one client of `faces`' company named `name`.
    private func adminId(of name: String, faces: CompanyFaces) async throws -> String {
        try await eventuallyValue("the admin API lists \(name)") {
            let reply = try await faces.gateway.call(.GET, "/api/admin/clients?search=" + name.replacingOccurrences(of: " ", with: "%20"),
                                                     as: .session(faces.admin))
            guard reply.status == 200, case .array(let items)? = reply.json["data"]?["clients"], items.count == 1 else { return nil }
            return items[0].string("id")
        }
    }
}
