import Errors
import HTTP
import XCTest
@testable import Gateway

/// What a caller sees when a dependency fails, whichever API answers (the fault suite's
/// contract, Tests/Faults): a 503 always says when to retry, and a write that could not be
/// confirmed in time is a 503 to retry, not a 504.
final class APIErrorRenderingTests: XCTestCase {
    private let renders: [@Sendable (any Error) -> HTTPResponse] = [OrganizationClientView.error, LeadsClientView.error,
                                                                    AdminClientView.error, IdentityView.error]

    private func answer(_ error: any Error, method: HTTPMethod, render: @escaping @Sendable (any Error) -> HTTPResponse) async throws -> HTTPResponse {
        try await APIErrorRendering.wrap({ _ in throw error }, rendering: render)(HTTPRequest(method: method, target: "/x"))
    }

    /// Seen in the fault suite while the command service restarted: 503s without Retry-After.
    func testEvery503SaysWhenToRetry() async throws {
        let failures: [any Error] = [ClienteleError(.unavailable, "Upstream unavailable", internalDetail: "connect refused"),
                                     ClienteleError(.unavailable, "The database is unavailable; retry later.")]
        for render in renders {
            for failure in failures {
                for method in [HTTPMethod.GET, .POST] {
                    let response = try await answer(failure, method: method, render: render)
                    XCTAssertEqual(response.status.code, 503)
                    XCTAssertEqual(response.headers["Retry-After"], "1")
                }
            }
        }
    }

    /// A write whose upstream did not answer in time may or may not be applied: 503 with
    /// Retry-After (a retry with the same Idempotency-Key settles it), never a 504. A read
    /// that timed out stays a gateway timeout.
    func testAWriteThatTimedOutUpstreamIsA503ToRetry() async throws {
        let timedOut = ClienteleError(.deadlineExceeded, "Upstream request timed out", internalDetail: "command-service")
        for render in renders {
            for method in [HTTPMethod.POST, .PUT, .PATCH, .DELETE] {
                let response = try await answer(timedOut, method: method, render: render)
                XCTAssertEqual(response.status.code, 503, "\(method)")
                XCTAssertEqual(response.headers["Retry-After"], "1")
            }
            let read = try await answer(timedOut, method: .GET, render: render)
            XCTAssertEqual(read.status.code, 504)
        }
    }
}
