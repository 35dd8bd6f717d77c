import Errors
import HTTP
import ServiceRuntime
import XCTest

/// The internal-token check: only the exact token passes, and the guarded handler runs only then.
final class InternalTokenTests: XCTestCase {
    func testOnlyTheExactTokenIsAccepted() {
        let token = InternalToken("0123456789abcdef-secret")
        XCTAssertTrue(token.accepts("0123456789abcdef-secret"))
        XCTAssertFalse(token.accepts(nil))
        XCTAssertFalse(token.accepts(""))
        XCTAssertFalse(token.accepts("0123456789abcdef-secreT"))
        XCTAssertFalse(token.accepts("0123456789abcdef-secret "))
        XCTAssertFalse(token.accepts("0123456789abcdef"))
    }

    func testGuardedHandlerRunsOnlyWithTheToken() async throws {
        let token = InternalToken("0123456789abcdef-secret")
        let handler = token.guarding { _ in .text("ran") }
        let allowed = try await handler(HTTPRequest(method: .POST, target: "/x", headers: [InternalToken.headerName: token.value]))
        XCTAssertEqual(String(decoding: allowed.body, as: UTF8.self), "ran")
        do {
            _ = try await handler(HTTPRequest(method: .POST, target: "/x", headers: [InternalToken.headerName: "wrong"]))
            XCTFail("a wrong token was let through")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .unauthenticated)
        }
    }

    func testTheVariableIsRequiredAndLongEnough() throws {
        XCTAssertThrowsError(try EnvironmentReader(["INTERNAL_TOKEN": "short"]).secret("INTERNAL_TOKEN", minimumLength: 16))
    }
}
