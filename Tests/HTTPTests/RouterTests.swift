import XCTest
@testable import HTTP

final class RouterTests: XCTestCase {
    private func makeRouter() -> Router {
        let router = Router()
        router.get("/api/clients/:id") { .json(status: .ok, object: ["route": .string($0.route ?? ""), "id": .string($0.pathParameters["id"] ?? "")]) }
        router.get("/api/clients/search") { _ in .json(status: .ok, object: ["route": "static"]) }
        router.post("/api/clients") { _ in HTTPResponse(status: .created) }
        router.put("/api/clients/:id/notes/:note") { .json(status: .ok, object: ["id": .string($0.pathParameters["id"] ?? ""), "note": .string($0.pathParameters["note"] ?? "")]) }
        router.get("/files/*") { .json(status: .ok, object: ["rest": .string($0.pathParameters["*"] ?? "")]) }
        router.addInline(.GET, "/health") { _ in .text("ok") }
        router.delete("/api/clients/:id") { _ in throw HTTPError(status: .conflict, message: "busy") }
        return router
    }

    private func call(_ router: Router, _ method: HTTPMethod, _ target: String) async -> HTTPResponse {
        await router.respond(to: HTTPRequest(method: method, target: target))
    }

    private func json(_ response: HTTPResponse) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(response.body))
    }

    func testParametersAndRouteTemplate() async {
        let response = await call(makeRouter(), .GET, "/api/clients/42?x=1")
        XCTAssertEqual(response.status, .ok)
        XCTAssertEqual(json(response), ["route": "/api/clients/:id", "id": "42"])
        let nested = await call(makeRouter(), .PUT, "/api/clients/7/notes/n%2F1")
        XCTAssertEqual(json(nested), ["id": "7", "note": "n/1"])
    }

    func testStaticSegmentWinsOverParameter() async {
        let response = await call(makeRouter(), .GET, "/api/clients/search")
        XCTAssertEqual(json(response), ["route": "static"])
    }

    func testAStaticResourceIsNotServedByAParameterRouteForAnotherMethod() async {
        // `/api/clients/search` is its own resource (GET only): DELETE there is 405 with its
        // Allow, not `DELETE /api/clients/:id` with id "search".
        let response = await call(makeRouter(), .DELETE, "/api/clients/search")
        XCTAssertEqual(response.status.code, 405)
        XCTAssertEqual(response.headers["Allow"], "GET, HEAD")
        let parameter = await call(makeRouter(), .DELETE, "/api/clients/7")
        XCTAssertEqual(parameter.status.code, 409, "the parameter route still serves other ids")
    }

    func testWildcardCapturesRest() async {
        let response = await call(makeRouter(), .GET, "/files/a/b/c.txt")
        XCTAssertEqual(json(response), ["rest": "a/b/c.txt"])
    }

    func testUnknownPathIs404Json() async {
        let response = await call(makeRouter(), .GET, "/nope")
        XCTAssertEqual(response.status.code, 404)
        XCTAssertEqual(json(response)?["error"], "no_route", "told apart from a handler's not_found")
        XCTAssertEqual(response.headers["Content-Type"], "application/json")
    }

    func testWrongMethodIs405WithAllow() async {
        let response = await call(makeRouter(), .PATCH, "/api/clients/1")
        XCTAssertEqual(response.status.code, 405)
        XCTAssertEqual(response.headers["Allow"], "DELETE, GET, HEAD")
        XCTAssertEqual(json(response)?["error"], "method_not_allowed")
        let post = await call(makeRouter(), .GET, "/api/clients")
        XCTAssertEqual(post.headers["Allow"], "POST")
    }

    func testEveryRecognisedMethodAPathDoesNotServeIs405WithAllow() async {
        for method in HTTPMethod.recognised where ![.GET, .HEAD, .DELETE].contains(method) {
            let response = await call(makeRouter(), method, "/api/clients/1")
            XCTAssertEqual(response.status.code, 405, method.rawValue)
            XCTAssertEqual(response.headers["Allow"], "DELETE, GET, HEAD", method.rawValue)
        }
        let unknownPath = await call(makeRouter(), .TRACE, "/nope")
        XCTAssertEqual(unknownPath.status.code, 404, "no resource, nothing to allow")
    }

    func testHeadUsesGetWithoutBody() async {
        let response = await call(makeRouter(), .HEAD, "/api/clients/5")
        XCTAssertEqual(response.status, .ok)
        XCTAssertTrue(response.body.isEmpty)
    }

    func testInlineAndThrowingHandlers() async {
        let health = await call(makeRouter(), .GET, "/health")
        XCTAssertEqual(String(decoding: health.body, as: UTF8.self), "ok")
        let failed = await call(makeRouter(), .DELETE, "/api/clients/1")
        XCTAssertEqual(failed.status.code, 409)
        XCTAssertEqual(json(failed), ["error": "conflict", "message": "busy"])
    }

    func testRegisteredRoutesListEveryRegistrationAsWritten() {
        let routes = makeRouter().registeredRoutes
        XCTAssertEqual(routes.map(\.description), [
            "GET /api/clients/:id", "GET /api/clients/search", "POST /api/clients", "PUT /api/clients/:id/notes/:note",
            "GET /files/*", "GET /health", "DELETE /api/clients/:id",
        ])
    }

    func testMalformedPercentEncodingIs400() async {
        let response = await call(makeRouter(), .GET, "/api/clients/%zz")
        XCTAssertEqual(response.status.code, 400)
    }
}
