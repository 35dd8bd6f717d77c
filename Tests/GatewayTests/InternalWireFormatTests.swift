import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI
import TestSupport
import XCTest

/// The hand-written codecs of the internal wire types on the hot paths (records, list pages,
/// lookups, visibility answers, command requests and responses), their only codec: each
/// writes its fixed golden text and reads it back, so the wire format between services of
/// different releases cannot drift silently; varied values round-trip; bad bodies fail
/// naming their field. (The goldens were the bytes `InternalJSON.encoder()` wrote for the
/// same values while these types were also `Codable`.)
final class InternalWireFormatTests: XCTestCase {
    // MARK: Goldens

    func testRecordsWriteTheirGoldenTextAndReadItBack() throws {
        try assertGolden(Fixed.fullRecord, #"""
        {"createdAt":"2025-11-23T12:13:20.123Z","createdBy":{"id":"key-1","kind":"api_key"},\#
        "documents":[{"contentType":"application/pdf","id":"11111111-2222-3333-4444-555555555555",\#
        "name":"passport.pdf","sha256":"abababababababababababababababababababababababababababababababab",\#
        "size":2048,"uploadedAt":"2025-11-23T12:13:20.123Z","use":"passport"},{"contentType":"image/png",\#
        "documentType":"ndis_plan","id":"6F9619FF-8B86-D011-B42D-00CF4FC964FF","name":"plan \"v2\".png",\#
        "sha256":"0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f","size":0,\#
        "uploadedAt":"1970-01-01T00:00:00.000Z","use":"care"}],"hasJoined":true,\#
        "id":"6F9619FF-8B86-D011-B42D-00CF4FC964FF","lastActiveAt":"2025-11-23T13:13:20.123Z","number":123,\#
        "profile":{"accountType":"business","address":"Dubai, UAE","agents":[{"agentId":42,\#
        "agentName":"Ahmed Ali"},{"agentId":-7,"agentName":"Zoë"}],"avatar":"https://a.example/a.png",\#
        "bio":"b\#u{2028}","companyName":"Tech Corp","displayName":"Ann","email":"a@b.example",\#
        "emailVerified":true,"industry":"Tech","jobTitle":"CTO","location":"Austin, United States",\#
        "name":"Ann \"Q\" O\\Brien / Ünïcode 🚀 \u0001\u001f","notes":"tab\there\r","phone":"+1 555\n0100",\#
        "plan":"premium","provider":"google","source":"referral","status":"trial","twoFactorEnabled":false,\#
        "username":"ann.q","website":"https://a.example"},"submissionCount":12,\#
        "tenantId":"0B7E1E5A-2C4D-4E6F-8A9B-0C1D2E3F4A5B","updatedAt":"2025-11-23T12:14:21.623Z","version":42}
        """#, encode: \.internalJSONBytes, decode: ClientRecord.init(internalJSON:))
        try assertGolden(Fixed.sparseRecord, #"""
        {"createdAt":"2023-11-14T22:13:20.000Z","hasJoined":false,"id":"11111111-2222-3333-4444-555555555555",\#
        "profile":{"name":"B","status":"active"},"submissionCount":0,\#
        "tenantId":"0B7E1E5A-2C4D-4E6F-8A9B-0C1D2E3F4A5B","updatedAt":"2023-11-14T22:13:20.500Z","version":1}
        """#, encode: \.internalJSONBytes, decode: ClientRecord.init(internalJSON:))
    }

    func testListPagesWriteTheirGoldenTextAndReadItBack() throws {
        try assertGolden(ClientListPage(data: [Fixed.sparseRecord], total: 42), #"""
        {"data":[{"createdAt":"2023-11-14T22:13:20.000Z","hasJoined":false,\#
        "id":"11111111-2222-3333-4444-555555555555","profile":{"name":"B","status":"active"},\#
        "submissionCount":0,"tenantId":"0B7E1E5A-2C4D-4E6F-8A9B-0C1D2E3F4A5B",\#
        "updatedAt":"2023-11-14T22:13:20.500Z","version":1}],"total":42}
        """#,
                         encode: \.internalJSONBytes, decode: ClientListPage.init(internalJSON:))
        try assertGolden(ClientListPage(data: [], total: 0), #"{"data":[],"total":0}"#, encode: \.internalJSONBytes, decode: ClientListPage.init(internalJSON:))
    }

    func testVisibilityAnswersWriteTheirGoldenTextAndReadItBack() throws {
        try assertGolden(ClientVisibility(visible: true, version: 3), #"{"parked":false,"version":3,"visible":true}"#,
                         encode: { $0.internalJSON.serialized() }, decode: ClientVisibility.init(internalJSON:))
        try assertGolden(ClientVisibility(visible: false, version: nil, parked: true), #"{"parked":true,"visible":false}"#,
                         encode: { $0.internalJSON.serialized() }, decode: ClientVisibility.init(internalJSON:))
    }

    func testLookupAnswersWriteTheirGoldenTextAndReadItBack() throws {
        let golden = #"{"data":[null,"# + String(decoding: Fixed.sparseRecord.internalJSONBytes, as: UTF8.self) + "]}"
        XCTAssertEqual(String(decoding: TenantClientId.answerJSON([nil, Fixed.sparseRecord]), as: UTF8.self), golden)
        XCTAssertEqual(try TenantClientId.records(fromAnswer: JSONParser.parse(Array(golden.utf8))), [nil, Fixed.sparseRecord])
    }

    func testLookupRequestsWriteTheirGoldenTextAndReadItBack() throws {
        let (id, tenant) = (Fixed.id1, Fixed.id2)
        let lookups = [TenantClientId(id: id, tenantId: tenant), TenantClientId(number: 42, tenantId: tenant),
                       TenantClientId(number: 43, tenantId: nil)]
        let golden = #"{"lookups":[{"id":"\#(id.lowercasedString)","tenantId":"\#(tenant.lowercasedString)"},"#
            + #"{"number":42,"tenantId":"\#(tenant.lowercasedString)"},{"number":43}]}"#
        XCTAssertEqual(String(decoding: TenantClientId.requestJSON(lookups).serialized(), as: UTF8.self), golden)
        XCTAssertEqual(try TenantClientId.lookups(fromRequest: JSONParser.parse(Array(golden.utf8))), lookups)
        // An id needs its tenant; a number must be positive.
        for (body, field) in [(#"{"lookups":[{"id":"\#(id.lowercasedString)"}]}"#, "lookups[0].tenantId"),
                              (#"{"lookups":[{"number":0}]}"#, "lookups[0].number"),
                              (#"{"lookups":[{"number":"7"}]}"#, "lookups[0].number"),
                              (#"{"lookups":[{}]}"#, "lookups[0].id")] {
            XCTAssertThrowsError(try TenantClientId.lookups(fromRequest: JSONParser.parse(Array(body.utf8))), body) { error in
                XCTAssertEqual((error as? JSONFieldError)?.path, field, body)
            }
        }
    }

    func testExportPagesWriteTheirGoldenBytesAndReadThemBack() throws {
        let page = CareExportPage(rows: [
            CareExportPage.Row(id: Fixed.id3, tenantId: Fixed.id2, number: 258, name: "Ann Lee", displayName: nil, firstName: "Ann",
                               lastName: "Lee", email: "a@x.io", ndisNumber: nil, status: "active", planManager: nil,
                               supportCoordinator: ""),
            CareExportPage.Row(id: Fixed.id1, tenantId: Fixed.id2, number: nil, name: nil, displayName: "=Ö", firstName: nil,
                               lastName: nil, email: nil, ndisNumber: "430000001", status: "inactive", planManager: "p",
                               supportCoordinator: nil),
        ])
        let absent = "ffffffff"
        let golden = "43455031" + "02000000"
            + hex(Fixed.id3) + hex(Fixed.id2) + "0201000000000000"
            + "07000000" + "416e6e204c6565" + absent + "03000000416e6e" + "030000004c6565" + "06000000614078" + "2e696f"
            + absent + "06000000616374697665" + absent + "00000000"
            + hex(Fixed.id1) + hex(Fixed.id2) + "0000000000000000"
            + absent + "030000003dc396" + absent + absent + absent + "09000000343330303030303031" + "08000000696e616374697665"
            + "0100000070" + absent
        let bytes = page.wireBytes
        XCTAssertEqual(bytes.map { String(format: "%02x", $0) }.joined(), golden)
        XCTAssertEqual(CareExportPage(wireBytes: bytes), page)
        XCTAssertEqual(CareExportPage(wireBytes: CareExportPage(rows: []).wireBytes), CareExportPage(rows: []))
        // Anything else is no page: cut short anywhere, trailing bytes, another magic, too many rows.
        for cut in 0..<bytes.count { XCTAssertNil(CareExportPage(wireBytes: Array(bytes.prefix(cut))), "cut at \(cut)") }
        XCTAssertNil(CareExportPage(wireBytes: bytes + [0]))
        XCTAssertNil(CareExportPage(wireBytes: Array("CEP2".utf8) + bytes.dropFirst(4)))
        XCTAssertNil(CareExportPage(wireBytes: Array("CEP1".utf8) + [0x11, 0x27, 0, 0]))   // 10,001 rows

        // The search projection writes the same frame from each row's texts as bytes.
        var writer = CareExportPage.FrameWriter()
        for row in page.rows {
            let texts = [row.name, row.displayName, row.firstName, row.lastName, row.email, row.ndisNumber, row.status,
                         row.planManager, row.supportCoordinator].map { $0.map { Array($0.utf8) } }
            let cells = texts.map { text in
                text.map { bytes in
                    let cell = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
                    cell.copyBytes(from: bytes)
                    return cell
                }
            }
            defer { for cell in cells { cell?.deallocate() } }
            writer.appendRow(id: row.id, tenantId: row.tenantId, number: row.number) { cells[$0].map(UnsafeRawBufferPointer.init) }
        }
        XCTAssertEqual(writer.rowCount, 2)
        let frame = writer.frame()
        XCTAssertEqual(frame, page.frameBytes)
        XCTAssertEqual(Array(frame.prefix(4)), withUnsafeBytes(of: UInt32(bytes.count).littleEndian, Array.init),
                       "the page's length, then the page")
        XCTAssertEqual(Array(frame.dropFirst(4)), bytes)
    }

    /// The export's stream reads back the same pages from pieces split anywhere, and tells a
    /// finished stream (its end frame) from one cut short, corrupt or too large.
    func testTheExportStreamReadsBackItsPagesFromPiecesSplitAnywhere() throws {
        func row(_ number: Int64) -> CareExportPage.Row {
            CareExportPage.Row(id: Fixed.id1, tenantId: Fixed.id2, number: number, name: "N \(number)", displayName: nil, firstName: nil,
                               lastName: nil, email: "e\(number)@x.io", ndisNumber: nil, status: "active", planManager: nil,
                               supportCoordinator: nil)
        }
        let pages = [CareExportPage(rows: [row(1), row(2)]), CareExportPage(rows: [row(3)]), CareExportPage(rows: [])]
        let stream = pages.flatMap(\.frameBytes) + CareExportPage.endFrame
        XCTAssertEqual(Array(stream.suffix(4)), [0, 0, 0, 0])
        func read(_ pieces: [[UInt8]]) throws -> (pages: [CareExportPage], ended: Bool) {
            var reader = CareExportPage.StreamReader()
            var read: [CareExportPage] = []
            for piece in pieces {
                reader.append(piece)
                while let page = try reader.nextPage() { read.append(page) }
            }
            return (read, reader.ended)
        }
        for size in [1, 2, 3, 5, 7, 64, stream.count] {
            let pieces = stride(from: 0, to: stream.count, by: size).map { Array(stream[$0..<min($0 + size, stream.count)]) }
            let (read, ended) = try read(pieces)
            XCTAssertEqual(read, pages, "pieces of \(size)")
            XCTAssertTrue(ended, "pieces of \(size)")
        }
        // Cut anywhere before its end frame's last byte: not ended (the gateway then fails the download).
        for cut in 0..<stream.count {
            XCTAssertFalse(try read([Array(stream.prefix(cut))]).ended, "cut at \(cut)")
        }
        XCTAssertThrowsError(try read([stream + [0]]), "bytes after the end")
        var corrupt = stream
        corrupt[4] = UInt8(ascii: "X")   // the first page's magic
        XCTAssertThrowsError(try read([corrupt]), "a frame that is no page")
        let huge = withUnsafeBytes(of: UInt32(CareExportPage.maxFrameBytes + 1).littleEndian) { Array($0) }
        XCTAssertThrowsError(try read([huge]), "a frame over maxFrameBytes is refused before it is buffered")
    }

    func testCarerClientListsWriteTheirGoldenBytesAndReadThemBack() throws {
        let clients = [
            CarerClient(id: Fixed.id3, number: 258, name: "Ann Lee", firstName: "Ann", lastName: "Lee", appointmentCount: 3),
            CarerClient(id: Fixed.id1, number: nil, name: "Zoë", firstName: nil, lastName: "", appointmentCount: 1),
        ]
        let absent = "ffffffff"
        let golden = "43434c31" + "02000000"
            + hex(Fixed.id3) + "0201000000000000" + "0300000000000000"
            + "07000000416e6e204c6565" + "03000000416e6e" + "030000004c6565"
            + hex(Fixed.id1) + "0000000000000000" + "0100000000000000"
            + "040000005a6fc3ab" + absent + "00000000"
        let bytes = CarerClient.wireBytes(clients)
        XCTAssertEqual(bytes.map { String(format: "%02x", $0) }.joined(), golden)
        XCTAssertEqual(CarerClient.clients(wireBytes: bytes), clients)
        XCTAssertEqual(CarerClient.clients(wireBytes: CarerClient.wireBytes([])), [])
        // Anything else is no list: cut short anywhere, trailing bytes, another magic, a count
        // the bytes cannot hold.
        for cut in 0..<bytes.count { XCTAssertNil(CarerClient.clients(wireBytes: Array(bytes.prefix(cut))), "cut at \(cut)") }
        XCTAssertNil(CarerClient.clients(wireBytes: bytes + [0]))
        XCTAssertNil(CarerClient.clients(wireBytes: Array("CAP1".utf8) + bytes.dropFirst(4)))
        XCTAssertNil(CarerClient.clients(wireBytes: Array("CCL1".utf8) + [0xff, 0xff, 0xff, 0x7f]))
    }

    func testAppointmentListsWriteTheirGoldenBytesAndReadThemBack() throws {
        let start = Date(timeIntervalSince1970: 1_763_900_000)
        let appointments = [
            CareAppointment(id: Fixed.id3, clientId: Fixed.id1, carerId: Fixed.id2, startsAt: start, endsAt: start + 3600,
                            serviceType: "Support Work", status: "scheduled"),
        ]
        let golden = "43415031" + "01000000" + hex(Fixed.id3) + hex(Fixed.id1) + hex(Fixed.id2)
            + "00000098be48da41" + "0000001cc248da41" + "0c000000537570706f727420576f726b" + "090000007363686564756c6564"
        let bytes = CareAppointment.wireBytes(appointments)
        XCTAssertEqual(bytes.map { String(format: "%02x", $0) }.joined(), golden)
        XCTAssertEqual(CareAppointment.appointments(wireBytes: bytes), appointments)
        // Instants to the microsecond and beyond read back exactly; empty texts are texts.
        let exact = [CareAppointment(id: Fixed.id1, clientId: Fixed.id2, carerId: Fixed.id3, startsAt: Fixed.date,
                                     endsAt: Fixed.date + 0.000_001, serviceType: "", status: "completed")]
        XCTAssertEqual(CareAppointment.appointments(wireBytes: CareAppointment.wireBytes(exact)), exact)
        for cut in 0..<bytes.count { XCTAssertNil(CareAppointment.appointments(wireBytes: Array(bytes.prefix(cut))), "cut at \(cut)") }
        XCTAssertNil(CareAppointment.appointments(wireBytes: bytes + [0]))
        // An absent text (a length of 0xFFFFFFFF) is no appointment; nor are more than the query's most.
        XCTAssertNil(CareAppointment.appointments(wireBytes: Array(bytes.dropLast(13)) + [0xff, 0xff, 0xff, 0xff]))
        XCTAssertNil(CareAppointment.appointments(wireBytes: Array("CAP1".utf8) + [0xe9, 0x03, 0, 0]
            + Array(repeating: 0, count: 1001 * 72)))   // 1,001 appointments
    }

    func testCommandRequestsWriteTheirGoldenTextAndReadItBack() throws {
        let (id, tenant, document) = (Fixed.id1, Fixed.id2, Fixed.id3)
        let user = Actor(kind: .user, id: "u-1")
        let requests: [(ClientCommandRequest, String)] = [
            (ClientCommandRequest(command: .create, clientId: id, tenantId: tenant,
                                  profile: ClientProfile(name: "New", email: "n@x.example", agents: [AgentAssignment(agentId: 1, agentName: "A")]),
                                  actor: user, idempotency: IdempotencyToken(scope: "api_key:7", key: "create-1", requestHash: "sha256:abc"),
                                  portalPasswordHash: "pbkdf2-sha256$1$c2FsdA$aGFzaA"),
             #"""
                {"actor":{"id":"u-1","kind":"user"},"clientId":"6F9619FF-8B86-D011-B42D-00CF4FC964FF",\#
                "command":"create","idempotency":{"key":"create-1","requestHash":"sha256:abc","scope":"api_key:7"},\#
                "portalPasswordHash":"pbkdf2-sha256$1$c2FsdA$aGFzaA","profile":{"agents":[{"agentId":1,\#
                "agentName":"A"}],"email":"n@x.example","name":"New","status":"active"},\#
                "tenantId":"0B7E1E5A-2C4D-4E6F-8A9B-0C1D2E3F4A5B"}
                """#),
            (ClientCommandRequest(command: .update, clientId: id, tenantId: tenant,
                                  changes: ClientProfileChanges(name: .set("Renamed"), email: .cleared, notes: .set("x\"y"), status: .inactive,
                                                                agents: .set([]), plan: .cleared, emailVerified: .set(true)),
                                  expectedVersion: 7, actor: Actor(kind: .client, id: "c")),
             #"""
                {"actor":{"id":"c","kind":"client"},"changes":{"agents":[],"email":null,"emailVerified":true,\#
                "name":"Renamed","notes":"x\"y","plan":null,"status":"inactive"},\#
                "clientId":"6F9619FF-8B86-D011-B42D-00CF4FC964FF","command":"update","expectedVersion":7,\#
                "tenantId":"0B7E1E5A-2C4D-4E6F-8A9B-0C1D2E3F4A5B"}
                """#),
            (ClientCommandRequest(command: .delete, clientId: id, tenantId: tenant, expectedVersion: 0, actor: Actor(kind: .system, id: "s")),
             #"""
                {"actor":{"id":"s","kind":"system"},"clientId":"6F9619FF-8B86-D011-B42D-00CF4FC964FF",\#
                "command":"delete","expectedVersion":0,"tenantId":"0B7E1E5A-2C4D-4E6F-8A9B-0C1D2E3F4A5B"}
                """#),
            (ClientCommandRequest(command: .setPortalPassword, clientId: id, tenantId: tenant, actor: user, portalPasswordHash: "h"),
             #"""
                {"actor":{"id":"u-1","kind":"user"},"clientId":"6F9619FF-8B86-D011-B42D-00CF4FC964FF",\#
                "command":"setPortalPassword","portalPasswordHash":"h",\#
                "tenantId":"0B7E1E5A-2C4D-4E6F-8A9B-0C1D2E3F4A5B"}
                """#),
            (ClientCommandRequest(command: .recordActivity, clientId: id, tenantId: tenant, actor: user, submission: false),
             #"""
                {"actor":{"id":"u-1","kind":"user"},"clientId":"6F9619FF-8B86-D011-B42D-00CF4FC964FF",\#
                "command":"recordActivity","submission":false,"tenantId":"0B7E1E5A-2C4D-4E6F-8A9B-0C1D2E3F4A5B"}
                """#),
            (ClientCommandRequest(command: .attachDocument, clientId: id, tenantId: tenant, actor: user, document: Fixed.fullRecord.documents[1]),
             #"""
                {"actor":{"id":"u-1","kind":"user"},"clientId":"6F9619FF-8B86-D011-B42D-00CF4FC964FF",\#
                "command":"attachDocument","document":{"contentType":"image/png","documentType":"ndis_plan",\#
                "id":"6F9619FF-8B86-D011-B42D-00CF4FC964FF","name":"plan \"v2\".png",\#
                "sha256":"0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f","size":0,\#
                "uploadedAt":"1970-01-01T00:00:00.000Z","use":"care"},"tenantId":"0B7E1E5A-2C4D-4E6F-8A9B-0C1D2E3F4A5B"}
                """#),
            (ClientCommandRequest(command: .removeDocument, clientId: id, tenantId: tenant, actor: user, documentId: document),
             #"""
                {"actor":{"id":"u-1","kind":"user"},"clientId":"6F9619FF-8B86-D011-B42D-00CF4FC964FF",\#
                "command":"removeDocument","documentId":"11111111-2222-3333-4444-555555555555",\#
                "tenantId":"0B7E1E5A-2C4D-4E6F-8A9B-0C1D2E3F4A5B"}
                """#),
        ]
        for (request, golden) in requests {
            try assertGolden(request, golden, encode: { $0.internalJSON.serialized() }, decode: ClientCommandRequest.init(internalJSON:))
        }
    }

    func testCommandResponsesWriteTheirGoldenTextAndReadItBack() throws {
        try assertGolden(ClientCommandResponse(client: Fixed.sparseRecord, version: 1, replayed: false,
                                               detachedDocumentIds: [Fixed.id3, Fixed.id1]),
                         #"""
        {"client":{"createdAt":"2023-11-14T22:13:20.000Z","hasJoined":false,\#
        "id":"11111111-2222-3333-4444-555555555555","profile":{"name":"B","status":"active"},\#
        "submissionCount":0,"tenantId":"0B7E1E5A-2C4D-4E6F-8A9B-0C1D2E3F4A5B",\#
        "updatedAt":"2023-11-14T22:13:20.500Z","version":1},\#
        "detachedDocumentIds":["11111111-2222-3333-4444-555555555555","6F9619FF-8B86-D011-B42D-00CF4FC964FF"],\#
        "replayed":false,"version":1}
        """#, encode: \.internalJSONBytes, decode: ClientCommandResponse.init(internalJSON:))
        try assertGolden(ClientCommandResponse(client: nil, version: 9, replayed: true), #"{"replayed":true,"version":9}"#,
                         encode: \.internalJSONBytes, decode: ClientCommandResponse.init(internalJSON:))
    }

    /// What another release may send is read too: unknown keys ignored, optional keys `null`,
    /// UUIDs in lower case.
    func testRecordsReadUnknownKeysNullOptionalsAndLowerCaseUUIDs() throws {
        let text = #"{"createdAt":"2023-11-14T22:13:20.000Z","createdBy":null,"documents":null,"hasJoined":false,"#
            + #""id":"11111111-2222-3333-4444-555555555555","lastActiveAt":null,"later":{"a":[1]},"number":null,"#
            + #""profile":{"name":"B","status":"active","later":true},"submissionCount":0,"#
            + #""tenantId":"0b7e1e5a-2c4d-4e6f-8a9b-0c1d2e3f4a5b","updatedAt":"2023-11-14T22:13:20.500Z","version":1}"#
        XCTAssertEqual(try ClientRecord(internalJSON: JSONParser.parse(Array(text.utf8))), Fixed.sparseRecord)
    }

    // MARK: Round trips

    func testVariedValuesRoundTrip() throws {
        var random = Generator(seed: 1)
        for _ in 0..<300 {
            let record = random.record()
            XCTAssertEqual(try ClientRecord(internalJSON: JSONParser.parse(record.internalJSONBytes)), record)
            let request = random.request()
            XCTAssertEqual(try ClientCommandRequest(internalJSON: JSONParser.parse(request.internalJSON.serialized())), request)
            let response = ClientCommandResponse(client: random.chance() ? random.record() : nil, version: random.int(1...1_000),
                                                 replayed: random.chance(), detachedDocumentIds: random.chance() ? [UUID()] : [])
            XCTAssertEqual(try ClientCommandResponse(internalJSON: JSONParser.parse(response.internalJSONBytes)), response)
        }
        for count in [0, 1, 5] {
            let page = ClientListPage(data: (0..<count).map { _ in random.record() }, total: count * 7)
            XCTAssertEqual(try ClientListPage(internalJSON: JSONParser.parse(page.internalJSONBytes)), page)
        }
        for visibility in [ClientVisibility(visible: true, version: 3), ClientVisibility(visible: false, version: nil),
                           ClientVisibility(visible: false, version: 2, parked: true)] {
            XCTAssertEqual(try ClientVisibility(internalJSON: JSONParser.parse(visibility.internalJSON.serialized())), visibility)
        }
        for records in [[], [nil], [random.record(), nil, random.record(), nil], [random.record()]] as [[ClientRecord?]] {
            XCTAssertEqual(try TenantClientId.records(fromAnswer: JSONParser.parse(TenantClientId.answerJSON(records))), records)
        }
    }

    /// Dates with milliseconds read back to the same instant: written again, the same text.
    func testRecordsWithMillisecondsReadBackToTheSameText() throws {
        for milliseconds in [1, 7, 123, 999] {
            var generator = Generator(seed: UInt64(milliseconds))
            var record = generator.record()
            record.createdAt = Date(timeIntervalSince1970: 1_763_900_000 + Double(milliseconds) / 1000)
            let bytes = record.internalJSONBytes
            let text = String(decoding: bytes, as: UTF8.self)
            XCTAssertTrue(text.contains(String(format: ".%03dZ", milliseconds)), text)
            XCTAssertEqual(try ClientRecord(internalJSON: JSONParser.parse(bytes)).internalJSONBytes, bytes)
        }
    }

    func testControlCharactersReadBackToTheSameRecord() throws {
        let record = ClientRecord(id: UUID(), tenantId: UUID(),
                                  profile: ClientProfile(name: "x\u{01}\u{08}\u{0C}\u{1F}y", notes: "\r\n", status: .inactive),
                                  version: 7, createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 1.5))
        XCTAssertEqual(try ClientRecord(internalJSON: JSONParser.parse(record.internalJSONBytes)), record)
    }

    // MARK: Bad input

    func testARecordMissingARequiredKeyFailsNamingIt() throws {
        var generator = Generator(seed: 2)
        let record = generator.record()
        guard case .object(let full) = try JSONParser.parse(record.internalJSONBytes) else { return XCTFail("not an object") }
        for key in ["id", "tenantId", "profile", "version", "createdAt", "updatedAt", "hasJoined", "submissionCount"] {
            var object = full
            object[key] = nil
            XCTAssertThrowsError(try ClientRecord(internalJSON: .object(object)), key) { error in
                XCTAssertEqual(error as? JSONFieldError, JSONFieldError(.missing, path: key))
            }
        }
        var noStatus = full
        if case .object(var profile)? = noStatus["profile"] {
            profile["status"] = nil
            noStatus["profile"] = JSONValue.object(profile)
        }
        XCTAssertThrowsError(try ClientRecord(internalJSON: .object(noStatus))) { error in
            XCTAssertEqual(error as? JSONFieldError, JSONFieldError(.missing, path: "profile.status"))
        }
    }

    /// The command service's answers to command bodies: the good ones read as the request
    /// they say, every bad one a 400 naming its field. (These were the answers `JSONDecoder`
    /// gave, to the word, while the request was also `Codable`.)
    func testCommandBodiesReadOrFailNamingTheField() async throws {
        let id = "6F9619FF-8B86-D011-B42D-00CF4FC964FF"
        let uuid = try XCTUnwrap(UUID(uuidString: id))
        let base = #""clientId":"\#(id)","tenantId":"\#(id.lowercased())","actor":{"kind":"api_key","id":"k1"}"#
        let key = Actor(kind: .apiKey, id: "k1")
        let good: [(String, ClientCommandRequest)] = [
            (#"{"command":"create",\#(base),"profile":{"name":"A","status":"active"}}"#,
             ClientCommandRequest(command: .create, clientId: uuid, tenantId: uuid, profile: ClientProfile(name: "A"), actor: key)),
            (#"{"command":"update",\#(base),"changes":{"name":null,"agents":[{"agentId":1,"agentName":"x"}],"plan":"free"},"expectedVersion":2}"#,
             ClientCommandRequest(command: .update, clientId: uuid, tenantId: uuid,
                                  changes: ClientProfileChanges(name: .cleared, agents: .set([AgentAssignment(agentId: 1, agentName: "x")]),
                                                                plan: .set(.free)),
                                  expectedVersion: 2, actor: key)),
            (#"{"command":"delete",\#(base),"idempotency":{"scope":"s","key":"k","requestHash":"h"},"submission":null}"#,
             ClientCommandRequest(command: .delete, clientId: uuid, tenantId: uuid, actor: key,
                                  idempotency: IdempotencyToken(scope: "s", key: "k", requestHash: "h"))),
        ]
        for (body, expected) in good {
            let read = try await request(body).decodeJSON(maxBytes: 65536) { value throws(JSONFieldError) in
                try ClientCommandRequest(internalJSON: value)
            }
            XCTAssertEqual(read, expected, body)
        }
        let bad: [(String, String)] = [
            (#"{"command":"explode",\#(base)}"#,
             "invalid_argument Field 'command' has an invalid value field=command"),
            (#"{"command":1,\#(base)}"#,
             "invalid_argument Field 'command' must be a string field=command"),
            (#"{\#(base)}"#,
             "invalid_argument Missing field 'command' field=command"),
            (#"{"command":"create","clientId":"nope","tenantId":"\#(id)","actor":{"kind":"user","id":"u"}}"#,
             "invalid_argument Field 'clientId' has an invalid value field=clientId"),
            (#"{"command":"create","clientId":"\#(id)","actor":{"kind":"user","id":"u"}}"#,
             "invalid_argument Missing field 'tenantId' field=tenantId"),
            (#"{"command":"create","clientId":"\#(id)","tenantId":"\#(id)"}"#,
             "invalid_argument Missing field 'actor' field=actor"),
            (#"{"command":"create","clientId":"\#(id)","tenantId":"\#(id)","actor":null}"#,
             "invalid_argument Field 'actor' must be an object, not null field=actor"),
            (#"{"command":"create","clientId":"\#(id)","tenantId":"\#(id)","actor":"me"}"#,
             "invalid_argument Field 'actor' must be an object field=actor"),
            (#"{"command":"create","clientId":"\#(id)","tenantId":"\#(id)","actor":{"kind":"alien","id":"u"}}"#,
             "invalid_argument Field 'actor.kind' has an invalid value field=actor.kind"),
            (#"{"command":"create","clientId":"\#(id)","tenantId":"\#(id)","actor":{"kind":"user"}}"#,
             "invalid_argument Missing field 'actor.id' field=actor.id"),
            (#"{"command":"create",\#(base),"profile":{"name":"A"}}"#,
             "invalid_argument Missing field 'profile.status' field=profile.status"),
            (#"{"command":"create",\#(base),"profile":{"name":1,"status":"active"}}"#,
             "invalid_argument Field 'profile.name' must be a string field=profile.name"),
            (#"{"command":"create",\#(base),"profile":{"status":"gone"}}"#,
             "invalid_argument Field 'profile.status' has an invalid value field=profile.status"),
            (#"{"command":"create",\#(base),"profile":{"status":"active","agents":[{"agentId":"1","agentName":"x"}]}}"#,
             "invalid_argument Field 'profile.agents[0].agentId' must be an integer field=profile.agents[0].agentId"),
            (#"{"command":"create",\#(base),"profile":{"status":"active","agents":[{"agentId":1.5,"agentName":"x"}]}}"#,
             "invalid_argument Request body is not valid JSON field=$"),
            (#"{"command":"create",\#(base),"profile":{"status":"active","agents":[{"agentId":1}]}}"#,
             "invalid_argument Missing field 'profile.agents[0].agentName' field=profile.agents[0].agentName"),
            (#"{"command":"create",\#(base),"profile":{"status":"active","agents":[null]}}"#,
             "invalid_argument Field 'profile.agents[0]' must be an object, not null field=profile.agents[0]"),
            (#"{"command":"create",\#(base),"profile":{"status":"active","agents":{}}}"#,
             "invalid_argument Field 'profile.agents' must be an array field=profile.agents"),
            (#"{"command":"create",\#(base),"profile":{"status":"active","emailVerified":"yes"}}"#,
             "invalid_argument Field 'profile.emailVerified' must be a boolean field=profile.emailVerified"),
            (#"{"command":"create",\#(base),"profile":{"status":"active","plan":"gold"}}"#,
             "invalid_argument Field 'profile.plan' has an invalid value field=profile.plan"),
            (#"{"command":"create",\#(base),"profile":[]}"#,
             "invalid_argument Field 'profile' must be an object field=profile"),
            (#"{"command":"update",\#(base),"changes":{"email":7}}"#,
             "invalid_argument Field 'changes.email' must be a string field=changes.email"),
            (#"{"command":"update",\#(base),"changes":{"status":null,"accountType":"tiny"}}"#,
             "invalid_argument Field 'changes.accountType' has an invalid value field=changes.accountType"),
            (#"{"command":"update",\#(base),"changes":{"agents":[{"agentId":1,"agentName":null}]}}"#,
             "invalid_argument Field 'changes.agents[0].agentName' must be a string, not null field=changes.agents[0].agentName"),
            (#"{"command":"update",\#(base),"changes":{"twoFactorEnabled":0}}"#,
             "invalid_argument Field 'changes.twoFactorEnabled' must be a boolean field=changes.twoFactorEnabled"),
            (#"{"command":"update",\#(base),"changes":"all"}"#,
             "invalid_argument Field 'changes' must be an object field=changes"),
            (#"{"command":"update",\#(base),"expectedVersion":"2"}"#,
             "invalid_argument Field 'expectedVersion' must be an integer field=expectedVersion"),
            (#"{"command":"update",\#(base),"expectedVersion":2.5}"#,
             "invalid_argument Request body is not valid JSON field=$"),
            (#"{"command":"delete",\#(base),"idempotency":{"scope":"s","key":"k"}}"#,
             "invalid_argument Missing field 'idempotency.requestHash' field=idempotency.requestHash"),
            (#"{"command":"delete",\#(base),"idempotency":{"scope":"s","key":1,"requestHash":"h"}}"#,
             "invalid_argument Field 'idempotency.key' must be a string field=idempotency.key"),
            (#"{"command":"setPortalPassword",\#(base),"portalPasswordHash":false}"#,
             "invalid_argument Field 'portalPasswordHash' must be a string field=portalPasswordHash"),
            (#"{"command":"recordActivity",\#(base),"submission":"yes"}"#,
             "invalid_argument Field 'submission' must be a boolean field=submission"),
            ("[]",
             "invalid_argument Field '$' must be an object field=$"),
            ("null",
             "invalid_argument Field '$' must be an object, not null field=$"),
            ("",
             "invalid_argument Request body is not valid JSON field=$"),
            ("{",
             "invalid_argument Request body is not valid JSON field=$"),
            (#"{"command":"delete",\#(base)} trailing"#,
             "invalid_argument Request body is not valid JSON field=$"),
        ]
        for (body, expected) in bad {
            let failure = await failure(reading: body)
            XCTAssertEqual(failure, expected, body)
        }
    }

    func testCanonicalUUIDsParseAsUUIDStringParsesThem() {
        for _ in 0..<200 {
            let text = UUID().uuidString
            XCTAssertEqual(UUID(canonical: text), UUID(uuidString: text))
            XCTAssertEqual(UUID(canonical: text.lowercased()), UUID(uuidString: text))
        }
        XCTAssertEqual(UUID(canonical: "00000000-0000-0000-0000-000000000000"), UUID(uuidString: "00000000-0000-0000-0000-000000000000"))
        XCTAssertEqual(UUID(canonical: "ffffffff-FFFF-ffff-FFFF-ffffffffffff")?.uuidString, "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF")
        for text in ["", "nope", "6F9619FF8B86D011B42D00CF4FC964FF", "6F9619FF-8B86-D011-B42D-00CF4FC964F", "6F9619FF-8B86-D011-B42D-00CF4FC964FFF",
                     "6F9619FF-8B86-D011-B42D_00CF4FC964FF", "6F9619FG-8B86-D011-B42D-00CF4FC964FF", " 6F9619F-8B86-D011-B42D-00CF4FC964FF",
                     "{6F9619FF-8B86-D011-B42D-00CF4FC964}", "6F9619FF-8B86-D011-B42D-00CF4FC964Fé"] {
            XCTAssertNil(UUID(canonical: text), text)
        }
    }

    // MARK: Support

    /// `value` written by `encode` is exactly `golden`, and `decode` reads `golden` back to `value`.
    private func assertGolden<T: Equatable>(_ value: T, _ golden: String, encode: (T) -> [UInt8],
                                            decode: (JSONValue) throws(JSONFieldError) -> T,
                                            file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(String(decoding: encode(value), as: UTF8.self), golden, file: file, line: line)
        XCTAssertEqual(try decode(JSONParser.parse(Array(golden.utf8))), value, file: file, line: line)
    }

    private func request(_ body: String) -> HTTPRequest {
        HTTPRequest(method: .POST, target: "/", headers: ["Content-Type": "application/json"],
                    body: HTTPRequestBody(bytes: Array(body.utf8)))
    }

    /// The command service's 400 for `body`: its code, message and field.
    private func failure(reading body: String) async -> String {
        do {
            let read = try await request(body).decodeJSON(maxBytes: 65536) { value throws(JSONFieldError) in
                try ClientCommandRequest(internalJSON: value)
            }
            return "read \(read)"
        } catch let error as ClienteleError {
            return "\(error.code.rawValue) \(error.message) field=\(error.context["field"] ?? "-")"
        } catch {
            return "not a ClienteleError: \(error)"
        }
    }
}

/// The values the goldens are written from.
/// An id's 16 bytes in hex, as the length-prefixed wire formats write it.
private func hex(_ id: UUID) -> String {
    withUnsafeBytes(of: id.uuid) { $0.map { String(format: "%02x", $0) }.joined() }
}

private enum Fixed {
    static let id1 = UUID(uuidString: "6F9619FF-8B86-D011-B42D-00CF4FC964FF")!
    static let id2 = UUID(uuidString: "0B7E1E5A-2C4D-4E6F-8A9B-0C1D2E3F4A5B")!
    static let id3 = UUID(uuidString: "11111111-2222-3333-4444-555555555555")!
    static let date = Date(timeIntervalSince1970: 1_763_900_000.123)

    static let fullRecord = ClientRecord(
        id: id1, tenantId: id2,
        profile: ClientProfile(name: "Ann \"Q\" O\\Brien / Ünïcode 🚀 \u{1}\u{1F}", email: "a@b.example", phone: "+1 555\n0100",
                               notes: "tab\there\r", status: .trial, address: "Dubai, UAE", source: "referral",
                               agents: [AgentAssignment(agentId: 42, agentName: "Ahmed Ali"), AgentAssignment(agentId: -7, agentName: "Zoë")],
                               displayName: "Ann", username: "ann.q", bio: "b\u{2028}", jobTitle: "CTO", companyName: "Tech Corp",
                               industry: "Tech", website: "https://a.example", location: "Austin, United States", accountType: .business,
                               plan: .premium, provider: "google", emailVerified: true, twoFactorEnabled: false,
                               avatar: "https://a.example/a.png"),
        version: 42, createdAt: date, updatedAt: date.addingTimeInterval(61.5), number: 123, createdBy: Actor(kind: .apiKey, id: "key-1"),
        hasJoined: true, lastActiveAt: date.addingTimeInterval(3600), submissionCount: 12,
        documents: [DocumentReference(id: id3, use: .passport, name: "passport.pdf", contentType: "application/pdf", size: 2048,
                                      sha256: String(repeating: "ab", count: 32), uploadedAt: date),
                    DocumentReference(id: id1, use: .care, documentType: .ndisPlan, name: "plan \"v2\".png", contentType: "image/png",
                                      size: 0, sha256: String(repeating: "0f", count: 32), uploadedAt: Date(timeIntervalSince1970: 0))])

    static let sparseRecord = ClientRecord(id: id3, tenantId: id2, profile: ClientProfile(name: "B"), version: 1,
                                           createdAt: Date(timeIntervalSince1970: 1_700_000_000),
                                           updatedAt: Date(timeIntervalSince1970: 1_700_000_000.5))
}

/// Varied internal API values from a seed (SplitMix64), so a failure reproduces.
private struct Generator {
    private var random: SplitMix64
    init(seed: UInt64) { random = SplitMix64(state: seed) }

    mutating func next() -> UInt64 { random.next() }

    mutating func chance() -> Bool { next() % 2 == 0 }
    mutating func int(_ range: ClosedRange<Int64>) -> Int64 {
        let span = UInt64(bitPattern: range.upperBound &- range.lowerBound) &+ 1
        return range.lowerBound &+ Int64(bitPattern: span == 0 ? next() : next() % span)
    }
    mutating func pick<T>(_ values: [T]) -> T { values[Int(next() % UInt64(values.count))] }
    mutating func maybe<T>(_ make: (inout Generator) -> T) -> T? { chance() ? make(&self) : nil }

    mutating func text() -> String {
        let pieces = ["Ann", " ", "O'Brien", "\"q\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "Zoë", "€", "🚀", "東京", "\u{2028}", "@"]
        return (0..<Int(next() % 6)).map { _ in pick(pieces) }.joined()
    }

    /// Whole or half seconds: `Timestamp` round-trips those exactly.
    mutating func date() -> Date { Date(timeIntervalSince1970: Double(int(0...2_000_000_000)) + (chance() ? 0.5 : 0)) }

    mutating func uuid() -> UUID { UUID() }

    mutating func agents() -> [AgentAssignment] {
        (0..<Int(next() % 3)).map { _ in AgentAssignment(agentId: int(-5...Int64.max - 1), agentName: text()) }
    }

    mutating func profile() -> ClientProfile {
        ClientProfile(name: maybe { $0.text() }, email: maybe { $0.text() }, phone: maybe { $0.text() }, notes: maybe { $0.text() },
                      status: pick(ClientStatus.allCases), address: maybe { $0.text() }, source: maybe { $0.text() },
                      agents: maybe { $0.agents() }, displayName: maybe { $0.text() }, username: maybe { $0.text() },
                      bio: maybe { $0.text() }, jobTitle: maybe { $0.text() }, companyName: maybe { $0.text() },
                      industry: maybe { $0.text() }, website: maybe { $0.text() }, location: maybe { $0.text() },
                      accountType: maybe { $0.pick(AccountType.allCases) }, plan: maybe { $0.pick(Plan.allCases) },
                      provider: maybe { $0.text() }, emailVerified: maybe { $0.chance() }, twoFactorEnabled: maybe { $0.chance() },
                      avatar: maybe { $0.text() })
    }

    mutating func actor() -> Actor {
        Actor(kind: pick([.user, .apiKey, .system, .client]), id: text())
    }

    mutating func record() -> ClientRecord {
        ClientRecord(id: uuid(), tenantId: uuid(), profile: profile(), version: int(1...Int64.max), createdAt: date(),
                     updatedAt: date(), number: maybe { $0.int(1...1_000_000_000) }, createdBy: maybe { $0.actor() },
                     hasJoined: chance(), lastActiveAt: maybe { $0.date() }, submissionCount: int(0...1_000))
    }

    mutating func change<T: Sendable & Equatable & Codable>(_ make: (inout Generator) -> T) -> FieldChange<T> {
        switch next() % 3 {
        case 0: return .unchanged
        case 1: return .cleared
        default: return .set(make(&self))
        }
    }

    mutating func changes() -> ClientProfileChanges {
        ClientProfileChanges(name: change { $0.text() }, email: change { $0.text() }, phone: change { $0.text() },
                             notes: change { $0.text() }, status: maybe { $0.pick(ClientStatus.allCases) },
                             address: change { $0.text() }, source: change { $0.text() }, agents: change { $0.agents() },
                             displayName: change { $0.text() }, username: change { $0.text() }, bio: change { $0.text() },
                             jobTitle: change { $0.text() }, companyName: change { $0.text() }, industry: change { $0.text() },
                             website: change { $0.text() }, location: change { $0.text() },
                             accountType: change { $0.pick(AccountType.allCases) }, plan: change { $0.pick(Plan.allCases) },
                             provider: change { $0.text() }, emailVerified: change { $0.chance() },
                             twoFactorEnabled: change { $0.chance() }, avatar: change { $0.text() })
    }

    mutating func request() -> ClientCommandRequest {
        ClientCommandRequest(command: pick([.create, .update, .delete, .setPortalPassword, .recordActivity]),
                             clientId: uuid(), tenantId: uuid(), profile: maybe { $0.profile() }, changes: maybe { $0.changes() },
                             expectedVersion: maybe { $0.int(0...Int64.max) }, actor: actor(),
                             idempotency: maybe { IdempotencyToken(scope: $0.text(), key: $0.text(), requestHash: $0.text()) },
                             portalPasswordHash: maybe { $0.text() }, submission: maybe { $0.chance() })
    }
}
