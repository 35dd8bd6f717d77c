import Errors
import HTTP
import XCTest
@testable import Gateway

/// How the gateway reads an internal service's error answers.
final class UpstreamErrorTests: XCTestCase {
    private func response(_ status: Int, _ body: String) -> HTTPClientResponse {
        HTTPClientResponse(status: HTTPStatus(code: status), body: Array(body.utf8))
    }

    /// A handler's "no such client" stays a 404 for the caller; a service without the
    /// route (an older version, a wrong URL) is the gateway's fault: 500, never "not found".
    func testMissingRouteIsAnInternalErrorNotANotFound() {
        let missingClient = response(404, #"{"error":"not_found","message":"Client not found"}"#)
        XCTAssertFalse(UpstreamError.isMissingRoute(missingClient))
        XCTAssertEqual(UpstreamError.clienteleError(from: missingClient, service: "search-projection").code, .notFound)

        let missingRoute = response(404, #"{"error":"no_route","message":"No route for this path"}"#)
        XCTAssertTrue(UpstreamError.isMissingRoute(missingRoute))
        let error = UpstreamError.clienteleError(from: missingRoute, service: "stats-projection")
        XCTAssertEqual(error.code, .internal)
        XCTAssertEqual(error.message, "Internal server error")
        XCTAssertFalse(UpstreamError.isMissingRoute(response(404, "not json")))
        XCTAssertFalse(UpstreamError.isMissingRoute(response(400, #"{"error":"no_route","message":"x"}"#)))
    }

    /// The router's own answer for an unknown path is what `isMissingRoute` recognises.
    func testTheRoutersAnswerIsRecognised() async {
        let router = Router()
        let answer = await router.respond(to: HTTPRequest(method: .GET, target: "/internal/nothing-here"))
        XCTAssertTrue(UpstreamError.isMissingRoute(HTTPClientResponse(status: answer.status, headers: answer.headers, body: answer.body)))
    }
}
