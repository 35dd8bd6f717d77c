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

    private func metrics(_ service: ServiceProcess, of stack: ClienteleStack) async throws -> MetricsScrape {
        try await MetricsScrape.read(service, of: stack, http: http)
    }

    /// The value of the sample named exactly `sample` (name and labels), 0 when absent.
    private func value(_ sample: String, in scrape: MetricsScrape) -> Double {
        scrape.value(sample) ?? 0
    }

    private func waitUntilFollowing(_ stack: ClienteleStack) async throws {
        try await eventually("the gateway follows the feed", timeout: .seconds(20)) {
            value("clientele_gateway_applied_feed_following{projection=\"search\"}", in: try await metrics(stack.gateway, of: stack)) == 1
        }
    }

    /// Creates a client named `name`; its id and whether the answer was marked pending.
    private static func create(_ gateway: GatewayCaller, key: Credential, name: String) async throws -> (id: String, pending: Bool) {
        let reply = try await gateway.call(.POST, "/api/v1/clients", as: key, json: ["name": .string(name)])
        XCTAssertEqual(reply.status, 201, reply.text)
        return (try XCTUnwrap(reply.json["data"]?.string("id")), reply.headers["X-Consistency"] == "pending")
    }

    func testWritesWaitOnTheFeedAndSurviveTheProjectionRestarting() async throws {
        let stack = try await ClienteleStack.start("ryw_feed", gatewayEnvironment: ["READ_YOUR_WRITES_TIMEOUT_MS": "1500"])
        defer { stack.stop() }
        let (_, _, secret) = try stack.createCompanyWithKey("Feed Co")
        let gateway = GatewayCaller(http: http, stack: stack), key = Credential.apiKey(secret)
        try await waitUntilFollowing(stack)

        // Concurrent writes: each readable at once, and none asked the projection on its own.
        let ids = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
            for index in 0..<20 { group.addTask { try await Self.create(gateway, key: key, name: "Feed \(index)") } }
            return try await group.reduce(into: [(String, Bool)]()) { $0.append($1) }
        }
        for (id, pending) in ids {
            XCTAssertFalse(pending, "a write the projection applied in time is not pending")
            let status = try await gateway.call(.GET, "/api/v1/clients/\(id)", as: key).status
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
        let whileDown = try await Self.create(gateway, key: key, name: "While down")
        XCTAssertTrue(whileDown.pending)

        // Back (a new feed: the gateway reads from its start again), the write shows, and new
        // writes wait on the feed again.
        try await stack.restartSearchProjection()
        try await waitUntilFollowing(stack)
        try await eventually("the write made while the projection was down shows", timeout: .seconds(20)) {
            try await gateway.call(.GET, "/api/v1/clients/\(whileDown.id)", as: key).status == 200
        }
        let after = try await Self.create(gateway, key: key, name: "After")
        XCTAssertFalse(after.pending)
        let readAfter = try await gateway.call(.GET, "/api/v1/clients/\(after.id)", as: key).status
        XCTAssertEqual(readAfter, 200)
        let gatewayAfter = try await metrics(stack.gateway, of: stack)
        XCTAssertGreaterThan(value("clientele_gateway_visibility_fallbacks_total{projection=\"search\"}", in: gatewayAfter), 0,
                             "the write made while the feed was lost asked on its own")
        let searchAfter = try await metrics(stack.searchProjection, of: stack)
        XCTAssertEqual(value(#"http_requests_total{method="GET",route="/internal/v1/clients/:id/visibility",status="200"}"#,
                             in: searchAfter), 0)
    }
}
