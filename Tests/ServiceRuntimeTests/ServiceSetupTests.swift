import HTTP
import XCTest
@testable import ServiceRuntime

final class ServiceSetupTests: XCTestCase {
    private func header(_ value: String) -> @Sendable (@escaping HTTPHandler) -> HTTPHandler {
        { inner in
            { request in
                var response = try await inner(request)
                response.headers.add(name: "X-Wrapped", value: value)
                return response
            }
        }
    }

    func testRouteMiddlewareWrapsRoutesAddedAfterItFirstOutermost() async {
        let router = Router()
        var setup = ServiceSetup(name: "test", environment: EnvironmentReader([:]), logger: Logger(service: "test", level: .error),
                                 metrics: MetricsRegistry(), readiness: ReadinessChecks(), router: router,
                                 httpConfiguration: HTTPServerConfiguration())
        setup.route(.GET, "/before") { _ in .text("before") }
        setup.routeMiddleware = [header("outer"), header("inner")]
        setup.route(.GET, "/after") { _ in .text("after") }
        setup.notBuiltYet("/later", what: "Later")

        let before = await router.respond(to: HTTPRequest(method: .GET, target: "/before"))
        XCTAssertEqual(before.headers.values(for: "X-Wrapped"), [])
        let after = await router.respond(to: HTTPRequest(method: .GET, target: "/after"))
        XCTAssertEqual(after.headers.values(for: "X-Wrapped"), ["inner", "outer"], "the first wrapper sees the response last")
        XCTAssertNotNil(after.headers["X-Request-Id"], "wrapped handlers still run in the request context")
        let later = await router.respond(to: HTTPRequest(method: .GET, target: "/later/x"))
        XCTAssertEqual(later.status.code, 501)
        XCTAssertEqual(later.headers.values(for: "X-Wrapped"), ["inner", "outer"])
    }
}
