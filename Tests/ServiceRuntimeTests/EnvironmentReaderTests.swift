import ServiceRuntime
import XCTest

final class EnvironmentReaderTests: XCTestCase {
    func testDefaultsApplyWhenUnsetOrEmpty() throws {
        let reader = EnvironmentReader(["EMPTY": ""])
        XCTAssertEqual(try reader.port("HTTP_PORT", default: 8080), 8080)
        XCTAssertEqual(try reader.port("EMPTY", default: 1), 1)
        XCTAssertEqual(reader.string("EMPTY", default: "x"), "x")
        XCTAssertEqual(try reader.bool("FLAG", default: true), true)
    }

    func testInvalidValuesNameTheVariable() {
        let reader = EnvironmentReader(["HTTP_PORT": "80a", "BIG": "70000", "FLAG": "maybe", "URL": "ftp://x"])
        XCTAssertThrowsError(try reader.port("HTTP_PORT", default: 1)) { error in
            XCTAssertEqual((error as? ConfigurationError)?.variable, "HTTP_PORT")
            XCTAssertTrue(String(describing: error).contains("HTTP_PORT"))
        }
        XCTAssertThrowsError(try reader.port("BIG", default: 1))
        XCTAssertThrowsError(try reader.bool("FLAG", default: false))
        XCTAssertThrowsError(try reader.httpURL("URL", default: "http://a"))
        XCTAssertThrowsError(try reader.requiredString("MISSING")) { error in
            XCTAssertEqual(String(describing: error), "invalid configuration: MISSING: is required but not set")
        }
    }

    func testSecretsAreNeverEchoed() {
        let reader = EnvironmentReader(["KEY": "short-secret"])
        XCTAssertThrowsError(try reader.secret("KEY", minimumLength: 32)) { error in
            XCTAssertFalse(String(describing: error).contains("short-secret"))
        }
    }

    func testParsesDurationsAndURLs() throws {
        let reader = EnvironmentReader(["T": "1500", "U": "http://127.0.0.1:9000/"])
        XCTAssertEqual(try reader.milliseconds("T", default: .seconds(1), in: 0...10_000), .milliseconds(1500))
        XCTAssertEqual(try reader.milliseconds("UNSET", default: .seconds(2), in: 0...10_000), .milliseconds(2000))
        XCTAssertEqual(try reader.httpURL("U", default: "http://x"), "http://127.0.0.1:9000")
    }
}
