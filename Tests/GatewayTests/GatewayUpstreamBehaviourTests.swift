import ClientDomain
import Coordination
import Foundation
import HTTP
import InternalAPI
import TestSupport
import XCTest
@testable import Gateway

/// What the gateway's APIs do with what the internal services answer, tested in one process:
/// the gateway's routes on port 0 (`GatewayHarness`) with the command service and the
/// projections played by fakes, where before only the five-process stack could show it.
final class GatewayUpstreamBehaviourTests: XCTestCase {
    private func startHarness(readYourWritesTimeout: Duration) async throws -> GatewayHarness {
        let harness = try await GatewayHarness.start(readYourWritesTimeout: readYourWritesTimeout)
        addTeardownBlock { await harness.stop() }
        return harness
    }

    /// A write the search projection shows is answered plainly; one it parked (its stream
    /// waits in the quarantine) is answered 2xx with `X-Consistency: pending`. Each wait asks
    /// for the version the command service wrote.
    func testAWriteTheSearchProjectionParkedIsAnsweredPending() async throws {
        let harness = try await startHarness(readYourWritesTimeout: .seconds(30))
        let key = try await harness.apiKey()
        let command = FakeCommandService(version: 1)
        harness.commands.answer { try command.answer($0) }
        // The search projection has parked every client named "Parked" and shows the others.
        let commands = harness.commands
        harness.search.answer { call in
            guard call.path.hasSuffix("/visibility") else { return Self.noRoute }
            let written = try commands.calls(to: InternalPaths.clientCommands).compactMap { try $0.json.map(ClientCommandRequest.init) }
                .first { InternalPaths.visibility($0.clientId) == call.path }
            let visibility = written?.profile?.name == "Parked" ? ClientVisibility(visible: false, version: nil, parked: true)
                : ClientVisibility(visible: true, version: Int64(call.queryParameter("version") ?? "") ?? 0)
            return .json(status: .ok, body: visibility.internalJSON.serialized())
        }

        let shown = try await harness.call(.POST, "/api/v1/clients", bearer: key.secret, json: #"{"name":"Shown"}"#)
        XCTAssertEqual(shown.status.code, 201, String(decoding: shown.body, as: UTF8.self))
        XCTAssertNil(shown.headers["X-Consistency"], "the projection showed the write")

        let parked = try await harness.call(.POST, "/api/v1/clients", bearer: key.secret, json: #"{"name":"Parked"}"#)
        XCTAssertEqual(parked.status.code, 201, String(decoding: parked.body, as: UTF8.self))
        XCTAssertEqual(parked.headers["X-Consistency"], "pending", "a parked write is not shown, so the answer says so")

        // One command and one visibility request per write, for the client and version written.
        let sent = try harness.commands.calls(to: InternalPaths.clientCommands).map { try ClientCommandRequest(internalJSON: XCTUnwrap($0.json)) }
        XCTAssertEqual(sent.map { $0.profile?.name }, ["Shown", "Parked"])
        XCTAssertEqual(Set(sent.map(\.tenantId)), [key.companyId])
        let asked = harness.search.calls.filter { $0.path.hasSuffix("/visibility") }
        XCTAssertEqual(asked.map(\.path), sent.map { InternalPaths.visibility($0.clientId) })
        XCTAssertEqual(asked.map { $0.queryParameter("version") }, ["1", "1"])
        XCTAssertEqual(harness.stats.calls.count, 0, "the organization API's writes wait for the search projection only")
    }

    /// An internal service answering 503 makes the organization API answer 503 in its own
    /// envelope, with none of the upstream's wording: for a write (command service) and a
    /// read (search projection), with or without an error body.
    func testAnUpstream503IsAnswered503InTheAPIsOwnWords() async throws {
        let harness = try await startHarness(readYourWritesTimeout: .seconds(2))
        let key = try await harness.apiKey()
        let detail = "event store connection to 10.1.2.3 lost"
        for withBody in [true, false] {
            let unavailable: FakeUpstream.Answer = { _ in
                withBody ? .json(status: .serviceUnavailable, object: ["error": "unavailable", "message": .string(detail)])
                         : HTTPResponse(status: .serviceUnavailable)
            }
            harness.commands.answer(unavailable)
            harness.search.answer(unavailable)
            let write = try await harness.call(.POST, "/api/v1/clients", bearer: key.secret, json: #"{"name":"Someone"}"#)
            let list = try await harness.call(.GET, "/api/v1/clients", bearer: key.secret)
            let one = try await harness.call(.GET, "/api/v1/clients/\(UUID().uuidString.lowercased())", bearer: key.secret)
            for (what, reply) in [("write", write), ("list", list), ("get", one)] {
                let text = String(decoding: reply.body, as: UTF8.self)
                XCTAssertEqual(reply.status.code, 503, "\(what), upstream body \(withBody): \(text)")
                let body = try JSONParser.parse(reply.body)
                XCTAssertEqual(body["error"], "Service temporarily unavailable; retry", "\(what): \(text)")
                XCTAssertEqual(body["code"], "unavailable", "\(what): \(text)")
                XCTAssertFalse(text.contains("10.1.2.3"), "\(what) leaks the upstream's detail: \(text)")
            }
        }
        XCTAssertEqual(harness.commands.calls(to: InternalPaths.clientCommands).count, 2, "one command per write, not retried")
    }

    /// A bulk admin request waits once for all its items: every item's visibility request, in
    /// both projections, is under way at the same time, within one read-your-writes timeout.
    /// (Before, each item waited in turn: one request at a time.)
    func testABulkAdminRequestWaitsOnceForAllItsItems() async throws {
        let harness = try await startHarness(readYourWritesTimeout: .seconds(30))
        let token = try await harness.adminToken()
        let tenant = UUID()
        let records = (1...5).map { number in
            ClientRecord(id: UUID(), tenantId: tenant, profile: ClientProfile(name: "Bulk \(number)"), version: 1,
                         createdAt: Date(timeIntervalSince1970: 1_700_000_000), updatedAt: Date(timeIntervalSince1970: 1_700_000_000),
                         number: Int64(number))
        }
        let command = FakeCommandService(version: 2)
        harness.commands.answer { try command.answer($0) }
        // The projections hold every visibility request until released, then answer that the
        // write is not shown yet.
        let release = OneShotEvent()
        let projection: FakeUpstream.Answer = { call in
            if call.path.hasSuffix("/visibility") {
                await release.wait()
                return .json(status: .ok, body: ClientVisibility(visible: false, version: 1).internalJSON.serialized())
            }
            guard call.method == .GET, call.path == InternalPaths.clients else { return Self.noRoute }
            let number = call.queryParameter("number").flatMap { Int64($0) }
            let page = ClientListPage(data: records.filter { $0.number == number }, total: 1)
            return .json(status: .ok, body: page.internalJSONBytes)
        }
        harness.search.answer(projection)
        harness.stats.answer(projection)

        let items = records.map { #"{"id":"client_\#($0.number!)","plan":"premium"}"# }.joined(separator: ",")
        async let bulk = harness.call(.PUT, "/api/admin/clients/bulk", bearer: token, json: #"{"clients":[\#(items)]}"#)
        try await eventually("every item's wait is under way at once (search \(harness.search.inFlight), stats \(harness.stats.inFlight))") {
            harness.search.inFlight == records.count && harness.stats.inFlight == records.count
        }
        release.signal()
        let reply = try await bulk
        let text = String(decoding: reply.body, as: UTF8.self)
        XCTAssertEqual(reply.status.code, 200, text)
        XCTAssertEqual(try JSONParser.parse(reply.body)["message"], "Bulk update completed: 5 successful, 0 failed", text)
        XCTAssertEqual(reply.headers["X-Consistency"], "pending")
        for fake in [harness.search, harness.stats] {
            let asked = fake.calls.filter { $0.path.hasSuffix("/visibility") }
            XCTAssertEqual(Set(asked.map(\.path)), Set(records.map { InternalPaths.visibility($0.id) }))
            XCTAssertEqual(Set(asked.map { $0.queryParameter("version") }), ["2"])
            XCTAssertEqual(fake.peakInFlight, records.count)
        }
    }

    private static let noRoute = HTTPResponse(error: HTTPError(status: .notFound, code: HTTPError.noRouteCode, message: "no route"))
}

/// The command service as the fakes play it: every command succeeds, answering the client it
/// names at `version` (a create's profile as sent).
private struct FakeCommandService {
    let version: Int64

    func answer(_ call: FakeUpstream.Call) throws -> HTTPResponse {
        guard call.path == InternalPaths.clientCommands, let json = call.json else {
            return HTTPResponse(error: HTTPError(status: .notFound, code: HTTPError.noRouteCode, message: "no route"))
        }
        let request = try ClientCommandRequest(internalJSON: json)
        let record = ClientRecord(id: request.clientId, tenantId: request.tenantId, profile: request.profile ?? ClientProfile(name: "Someone"),
                                  version: version, createdAt: Date(timeIntervalSince1970: 1_700_000_000),
                                  updatedAt: Date(timeIntervalSince1970: 1_700_000_000), number: 1)
        return .json(status: .ok, body: ClientCommandResponse(client: record, version: version, replayed: false).internalJSONBytes)
    }
}
