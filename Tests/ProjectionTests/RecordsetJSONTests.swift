import Foundation
import Projection
import XCTest

/// The upsert's JSON is written by hand; what PostgreSQL's JSON parser reads back must be
/// exactly the values written, whatever characters a client's fields hold.
final class RecordsetJSONTests: XCTestCase {
    func testWritesRowsThatParseBackToTheSameValues() throws {
        let awkward = "quote \" backslash \\ newline \n tab \t return \r bell \u{07} unit \u{1F} é 🙂 </script>"
        var json = RecordsetJSON()
        json.beginRow()
        json.field("name", awkward)
        json.field("missing", nil as String?)
        json.field("count", Int64.min)
        json.field("flag", false)
        json.field("agents", array: [(7 as Int64, "A \"b\""), (8, "")]) { json, agent in
            json.field("agentId", agent.0)
            json.field("agentName", agent.1)
        }
        json.field("none", array: nil as [Int]?) { _, _ in }
        json.endRow()
        json.beginRow()
        json.field("name", "")
        json.endRow()
        let text = json.finish()
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        XCTAssertEqual(parsed.count, 2)
        XCTAssertEqual(parsed[0]["name"] as? String, awkward)
        XCTAssertTrue(parsed[0]["missing"] is NSNull)
        XCTAssertEqual((parsed[0]["count"] as? NSNumber)?.int64Value, Int64.min)
        XCTAssertEqual(parsed[0]["flag"] as? Bool, false)
        let agents = try XCTUnwrap(parsed[0]["agents"] as? [[String: Any]])
        XCTAssertEqual(agents.map { ($0["agentId"] as? NSNumber)?.int64Value }, [7, 8])
        XCTAssertEqual(agents.map { $0["agentName"] as? String }, ["A \"b\"", ""])
        XCTAssertTrue(parsed[0]["none"] is NSNull)
        XCTAssertEqual(parsed[1] as? [String: String], ["name": ""])
        XCTAssertFalse(text.contains("\n"), "control characters are escaped")
    }

    func testAnEmptyBatchIsAnEmptyArray() {
        var json = RecordsetJSON()
        XCTAssertEqual(json.finish(), "[]")
        XCTAssertEqual(RecordsetJSON.array([Int64]()) { json, value in json.field("v", value) }, "[]")
    }

    func testArrayWritesOneObjectPerRow() {
        let text = RecordsetJSON.array([(1 as Int64, "a"), (2, "b")]) { json, row in
            json.field("id", row.0)
            json.field("name", row.1)
        }
        XCTAssertEqual(text, #"[{"id":1,"name":"a"},{"id":2,"name":"b"}]"#)
    }
}
