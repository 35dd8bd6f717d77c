import Foundation
import HTTP
import Identity
import Postgres
import XCTest
@testable import Gateway
@testable import ServiceRuntime

/// `/openapi.json` against the gateway's real route table, built the way `main.swift` builds
/// it (nothing connects: stores and clients open connections on first use).
///
/// Placeholder routes (`GatewayRoutes.placeholders`, answering 501 to every method on a
/// prefix and below) are left out of the comparison by name, and only those: the document
/// names the prefixes in `info.description` instead of inventing operations for APIs that do
/// not exist. When an API is built its prefix leaves `placeholders` and its routes must be
/// documented.
final class OpenAPIDocumentTests: XCTestCase {
    private var http: HTTPClient?

    override func tearDown() {
        http?.shutdown()
        super.tearDown()
    }

    /// A router with every route the gateway registers.
    private func gatewayRouter() throws -> Router {
        let router = Router()
        let environment = EnvironmentReader(["JWT_KEYS": "test1:" + Data(repeating: 7, count: 32).base64EncodedString()])
        let logger = Logger(service: "gateway", level: .error)
        let metrics = MetricsRegistry()
        let readiness = ReadinessChecks()
        let setup = ServiceSetup(name: "gateway", environment: environment, logger: logger, metrics: metrics,
                                 readiness: readiness, router: router, httpConfiguration: HTTPServerConfiguration())
        HealthRoutes.register(on: router, service: "gateway", readiness: readiness, metrics: metrics, logger: logger,
                              token: InternalToken("an-internal-token-for-tests"))
        let http = HTTPClient()
        self.http = http
        let token = InternalToken("an-internal-token-for-tests")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: "postgresql://127.0.0.1:1/unused"))
        GatewayRoutes.register(on: setup, GatewayComponents(
            identity: IdentityStore(pool: pool), sessions: try SessionSettings(environment: environment),
            commands: CommandClient(baseURL: "http://127.0.0.1:1", token: token, http: http),
            search: SearchClient(baseURL: "http://127.0.0.1:1", token: token, http: http),
            stats: StatsClient(baseURL: "http://127.0.0.1:1", token: token, http: http),
            documents: DocumentClient(baseURL: "http://127.0.0.1:1", token: token, http: http),
            searchVisibility: ProjectionVisibility(service: "search-projection", baseURL: "http://127.0.0.1:1", token: token,
                                                   http: http, feed: nil),
            statsVisibility: ProjectionVisibility(service: "stats-projection", baseURL: "http://127.0.0.1:1", token: token,
                                                  http: http, feed: nil),
            readYourWritesTimeout: .seconds(1),
            rateLimiter: RateLimiter(policy: RateLimitPolicy(requests: 600, windowSeconds: 60))))
        return router
    }

    private var placeholderRoutes: Set<RegisteredRoute> {
        var routes: Set<RegisteredRoute> = []
        for placeholder in GatewayRoutes.placeholders {
            for method in [HTTPMethod.GET, .POST, .PUT, .PATCH, .DELETE] {
                routes.insert(RegisteredRoute(method: method, pattern: placeholder.prefix))
                routes.insert(RegisteredRoute(method: method, pattern: placeholder.prefix + "/*"))
            }
        }
        return routes
    }

    func testEveryRouteIsDocumentedAndEveryOperationHasARoute() throws {
        let registered = Set(try gatewayRouter().registeredRoutes)
        XCTAssertTrue(placeholderRoutes.isSubset(of: registered), "the placeholders left out are registered as described")
        let served = registered.subtracting(placeholderRoutes)
        let documented = Set(OpenAPIDocument.operations.map { RegisteredRoute(method: $0.method, pattern: $0.pattern) })
        XCTAssertEqual(documented.count, OpenAPIDocument.operations.count, "an operation is documented twice")
        let undocumented = served.subtracting(documented).map(\.description).sorted()
        let unserved = documented.subtracting(served).map(\.description).sorted()
        XCTAssertEqual(undocumented, [], "routes missing from OpenAPIDocument (see OpenAPIDocument+<API>.swift)")
        XCTAssertEqual(unserved, [], "documented operations the gateway does not register")
        XCTAssertTrue(served.contains(RegisteredRoute(method: .GET, pattern: "/api/v1/clients/:id")), "the comparison saw real routes")
        XCTAssertTrue(served.contains(RegisteredRoute(method: .GET, pattern: "/openapi.json")))
    }

    func testTheServedDocumentIsOpenAPI31WithAnswersForEveryOperation() async throws {
        let response = try await gatewayRouter().respond(to: HTTPRequest(method: .GET, target: "/openapi.json"))
        XCTAssertEqual(response.status.code, 200)
        XCTAssertEqual(response.headers["Content-Type"], "application/json")
        XCTAssertNil(response.headers["RateLimit-Limit"], "the document needs no credential and counts against no one")
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        XCTAssertTrue((document["openapi"] as? String ?? "").hasPrefix("3.1."), "\(document["openapi"] ?? "none")")
        let info = try XCTUnwrap(document["info"] as? [String: Any])
        XCTAssertNotNil(info["title"] as? String)
        XCTAssertNotNil(info["version"] as? String)

        let paths = try XCTUnwrap(document["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        var operationIds: [String] = []
        for (path, item) in paths {
            XCTAssertFalse(path.contains(":"), "\(path) uses OpenAPI templating, not the router's")
            let declared = Set(((item["parameters"] as? [[String: Any]]) ?? []).filter { $0["in"] as? String == "path" }
                .compactMap { $0["name"] as? String })
            let templated = Set(path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
            XCTAssertEqual(declared, templated, "\(path) declares its path parameters")
            for (method, value) in item where methods.contains(method) {
                let operation = try XCTUnwrap(value as? [String: Any], "\(method) \(path)")
                let responses = try XCTUnwrap(operation["responses"] as? [String: [String: Any]], "\(method) \(path)")
                XCTAssertFalse(responses.isEmpty, "\(method) \(path) has responses")
                XCTAssertTrue(responses.keys.contains { $0.hasPrefix("2") }, "\(method) \(path) has a success answer")
                for (status, answer) in responses {
                    XCTAssertNotNil(Int(status), "\(method) \(path): status \(status)")
                    XCTAssertNotNil(answer["description"] as? String, "\(method) \(path) \(status) has a description")
                }
                XCTAssertNotNil(operation["security"], "\(method) \(path) says which credential it takes")
                operationIds.append(try XCTUnwrap(operation["operationId"] as? String))
            }
        }
        XCTAssertEqual(operationIds.count, Set(operationIds).count, "operation ids are unique")
        XCTAssertEqual(operationIds.count, OpenAPIDocument.operations.count)

        // Every reference points at something in the document.
        var references: [String] = []
        func collect(_ value: Any) {
            if let object = value as? [String: Any] {
                if let ref = object["$ref"] as? String { references.append(ref) }
                object.values.forEach(collect)
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        collect(document)
        XCTAssertFalse(references.isEmpty)
        for reference in Set(references) {
            XCTAssertTrue(reference.hasPrefix("#/"), reference)
            var node: Any? = document
            for part in reference.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(part)] }
            XCTAssertNotNil(node, "\(reference) resolves")
        }
        let schemes = try XCTUnwrap((document["components"] as? [String: Any])?["securitySchemes"] as? [String: Any])
        XCTAssertEqual(Set(schemes.keys), ["apiKey", "sessionBearer", "sessionCookie"])
    }

    func testAuthenticatedOperationsDeclareTheRateLimitAnswer() throws {
        let document = OpenAPIDocument.json
        let get = try XCTUnwrap(document["paths"]?["/api/v1/clients/{id}"]?["get"])
        let tooMany = try XCTUnwrap(get["responses"]?["429"])
        XCTAssertNotNil(tooMany["headers"]?["Retry-After"])
        XCTAssertNotNil(get["responses"]?["200"]?["headers"]?["RateLimit-Remaining"])
        XCTAssertNil(get["responses"]?["401"]?["headers"]?["RateLimit-Remaining"], "no principal, no budget")
        XCTAssertNil(document["paths"]?["/healthz"]?["get"]?["responses"]?["429"])
    }
}
