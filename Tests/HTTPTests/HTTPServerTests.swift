import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import HTTP

final class HTTPServerTests: XCTestCase {
    private func makeRouter() -> Router {
        let router = Router()
        router.addInline(.GET, "/ping") { _ in .json(status: .ok, object: ["pong": .bool(true)]) }
        router.get("/clients/:id") { request in
            .json(status: .ok, object: ["id": .string(request.pathParameters["id"] ?? "")])
        }
        router.post("/echo", options: RouteOptions(maxBodyBytes: 1024)) { request in
            HTTPResponse(status: .ok, body: try await request.body.collect(upTo: 1024))
        }
        router.get("/slow") { _ in
            try await Task.sleep(for: .milliseconds(300))
            return .text("slow")
        }
        return router
    }

    func testKeepAliveServesSeveralRequests() async throws {
        let running = try await RunningServer.start(makeRouter())
        let connection = try running.connect()
        for i in 0..<5 {
            try connection.send("GET /clients/\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try connection.readResponse()
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.json?["id"], .string("\(i)"))
            XCTAssertNil(response.headers["Connection"])
        }
        try await running.stop()
    }
}
