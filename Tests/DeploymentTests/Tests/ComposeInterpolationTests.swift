import XCTest

final class ComposeInterpolationTests: XCTestCase {
    func testEvaluatesLikeCompose() throws {
        let host = ["SET": "value", "EMPTY": ""]
        XCTAssertEqual(try ComposeInterpolation.evaluate("a-${SET}-$SET-$$SET", environment: host), "a-value-value-$SET")
        XCTAssertEqual(try ComposeInterpolation.evaluate("${UNSET:-8080}|${EMPTY:-d}|${EMPTY-d}", environment: host), "8080|d|")
        XCTAssertEqual(try ComposeInterpolation.evaluate("${UNSET:?set UNSET}", environment: host), "<UNSET>")
        XCTAssertEqual(try ComposeInterpolation.evaluate("${SET:+yes}${UNSET:+no}", environment: host), "yes")
        XCTAssertEqual(try ComposeInterpolation.evaluate("${UNSET:-${SET}}", environment: host), "value")
    }

    func testReferencesSayHowAnUnsetVariableIsHandled() throws {
        XCTAssertEqual(try ComposeInterpolation.references(in: "p://u:${PW:?set PW}@h/${DB:-db} $PLAIN $$ESCAPED"), [
            .init(name: "PW", kind: .required),
            .init(name: "DB", kind: .defaulted("db")),
            .init(name: "PLAIN", kind: .plain),
        ])
    }

    func testRejectsAShellSubstitutionWithoutDoubledDollar() {
        XCTAssertThrowsError(try ComposeInterpolation.references(in: "count=$(wc -l)"))
        XCTAssertThrowsError(try ComposeInterpolation.references(in: "${UNCLOSED"))
        XCTAssertNoThrow(try ComposeInterpolation.references(in: "count=$$(wc -l)"))
    }
}
