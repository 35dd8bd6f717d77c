import Foundation
import HTTP
import TestSupport
import XCTest

/// Read-your-writes through the search projection's applied-versions feed: writes wait on
/// the feed the gateway follows, not on a request each; when the projection goes away they
/// still answer (pending), and once it is back the gateway follows its new feed.
final class ReadYourWritesFeedTests: XCTestCase {
    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    private func metrics(_ service: ServiceProcess, of stack: ClienteleStack) async throws -> String {
        let response = try await http.execute(HTTPClientRequest(method: .GET, url: service.baseURL + "/metrics",
                                                                headers: ["X-Internal-Token": stack.internalToken]))
        return String(decoding: response.body, as: UTF8.self)
    }

    /// The value of the sample named exactly `sample` (name and labels), 0 when absent.
    private func value(_ sample: String, in text: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1)) ?? 0
        }
        return 0
    }

    private func waitUntilFollowing(_ stack: ClienteleStack) async throws {
        try await eventually("the gateway follows the feed", timeout: .seconds(20)) {
            value("clientele_gateway_applied_feed_following{projection=\"search\"}", in: try await metrics(stack.gateway, of: stack)) == 1
        }
    }

    private func create(_ stack: ClienteleStack, key: String, name: String) async throws -> (id: String, pending: Bool) {
        try await Self.create(http, stack, key: key, name: name)
    }

    private static func create(_ http: HTTPClient, _ stack: ClienteleStack, key: String, name: String) async throws
        -> (id: String, pending: Bool) {
        let response = try await http.execute(HTTPClientRequest(
            method: .POST, url: stack.gateway.baseURL + "/api/v1/clients",
            headers: ["Authorization": "Bearer \(key)", "Content-Type": "application/json"], body: Array(#"{"name":"\#(name)"}"#.utf8)))
        XCTAssertEqual(response.status.code, 201, String(decoding: response.body, as: UTF8.self))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let data = try XCTUnwrap(json["data"] as? [String: Any])
        return (try XCTUnwrap(data["id"] as? String), response.headers["X-Consistency"] == "pending")
    }

    private func read(_ stack: ClienteleStack, key: String, id: String) async throws -> Int {
        try await http.execute(HTTPClientRequest(method: .GET, url: stack.gateway.baseURL + "/api/v1/clients/\(id)",
                                                 headers: ["Authorization": "Bearer \(key)"])).status.code
    }

    func testWritesWaitOnTheFeedAndSurviveTheProjectionRestarting() async throws {
        let stack = try await ClienteleStack.start("ryw_feed", gatewayEnvironment: ["READ_YOUR_WRITES_TIMEOUT_MS": "1500"])
        defer { stack.stop() }
        let (_, _, key) = try stack.createCompanyWithKey("Feed Co")
        try await waitUntilFollowing(stack)

        // Concurrent writes: each readable at once, and none asked the projection on its own.
        let ids = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
            for index in 0..<20 { group.addTask { [http] in try await Self.create(http, stack, key: key, name: "Feed \(index)") } }
            return try await group.reduce(into: [(String, Bool)]()) { $0.append($1) }
        }
        for (id, pending) in ids {
            XCTAssertFalse(pending, "a write the projection applied in time is not pending")
            let status = try await read(stack, key: key, id: id)
            XCTAssertEqual(status, 200)
        }
        let search = try await metrics(stack.searchProjection, of: stack)
        XCTAssertEqual(value(#"http_requests_total{method="GET",route="/internal/v1/clients/:id/visibility",status="200"}"#, in: search), 0,
                       "writes waited on the feed, not on a request each")
        XCTAssertGreaterThan(value(#"http_requests_total{method="GET",route="/internal/v1/applied",status="200"}"#, in: search), 0)
        let gatewayBefore = try await metrics(stack.gateway, of: stack)
        XCTAssertEqual(value("clientele_gateway_visibility_fallbacks_total{projection=\"search\"}", in: gatewayBefore), 0)

        // Without the projection a write is still stored and answered, marked pending.
        stack.searchProjection.process.signal(SIGKILL)
        let whileDown = try await create(stack, key: key, name: "While down")
        XCTAssertTrue(whileDown.pending)

        // Back (a new feed: the gateway reads from its start again), the write shows, and new
        // writes wait on the feed again.
        try await stack.restartSearchProjection()
        try await waitUntilFollowing(stack)
        try await eventually("the write made while the projection was down shows", timeout: .seconds(20)) {
            try await read(stack, key: key, id: whileDown.id) == 200
        }
        let after = try await create(stack, key: key, name: "After")
        XCTAssertFalse(after.pending)
        let readAfter = try await read(stack, key: key, id: after.id)
        XCTAssertEqual(readAfter, 200)
        let gateway = try await metrics(stack.gateway, of: stack)
        XCTAssertGreaterThan(value("clientele_gateway_visibility_fallbacks_total{projection=\"search\"}", in: gateway), 0,
                             "the write made while the feed was lost asked on its own")
        let searchAfter = try await metrics(stack.searchProjection, of: stack)
        XCTAssertEqual(value(#"http_requests_total{method="GET",route="/internal/v1/clients/:id/visibility",status="200"}"#,
                             in: searchAfter), 0)
    }
}
