import Errors
import Foundation
import HTTP
import XCTest

/// `HTTPRequest.decodeJSON(maxBytes:_:)` with a `JSONObjectReader` against the `Decodable`
/// variant: the same bodies pass, and the same bodies fail with the same message and field.
final class JSONObjectReaderTests: XCTestCase {
    private enum Kind: String, Decodable { case person, company }
    private struct Address: Decodable, Equatable { var city: String; var zip: Int64? }
    private struct Client: Decodable, Equatable {
        var name: String
        var age: Int64
        var vip: Bool?
        var addresses: [Address]
        var spouse: Address?
        var kind: Kind
    }

    private static func address(_ object: JSONObjectReader) throws(JSONFieldError) -> Address {
        Address(city: try object.string("city"), zip: try object.optionalInt64("zip"))
    }

    private static func client(_ value: JSONValue) throws(JSONFieldError) -> Client {
        let object = try JSONObjectReader(value)
        let name = try object.string("name")
        let age = try object.int64("age")
        let vip = try object.optionalBool("vip")
        let addresses = try JSONObjectReader.array(object.required("addresses", .array), path: object.path(of: "addresses")) {
            value, path throws(JSONFieldError) in try address(JSONObjectReader(value, path: path))
        }
        let spouse = try object.optionalObject("spouse").map { reader throws(JSONFieldError) in try address(reader) }
        return Client(name: name, age: age, vip: vip, addresses: addresses, spouse: spouse,
                      kind: try object.parsed("kind", Kind.init(rawValue:)))
    }

    private func request(_ body: String) -> HTTPRequest {
        HTTPRequest(method: .POST, target: "/", headers: ["Content-Type": "application/json"],
                    body: HTTPRequestBody(bytes: Array(body.utf8)))
    }

    /// The outcome of one decoding: the value, or the error's message and field.
    private func outcome(_ decode: () async throws -> Client) async -> String {
        do {
            return "ok \(try await decode())"
        } catch let error as ClienteleError {
            return "\(error.code.rawValue) \(error.message) field=\(error.context["field"] ?? "-")"
        } catch {
            return "other \(error)"
        }
    }

    func testSameOutcomesAsJSONDecoder() async {
        let bodies = [
            #"{"name":"a","age":3,"addresses":[],"kind":"person"}"#,
            #"{"name":"a","age":3.0,"vip":null,"addresses":[{"city":"x","zip":1e3}],"spouse":null,"kind":"company","extra":[1]}"#,
            #"{"name":"a","age":3,"vip":true,"addresses":[{"city":"x"}],"spouse":{"city":"y","zip":null},"kind":"person"}"#,
            #"{"name":"a","age":3,"addresses":[{"city":1}],"kind":"person"}"#,
            #"{"name":"a","age":3,"addresses":[{"city":"x"},{"zip":2}],"kind":"person"}"#,
            #"{"name":"a","age":3,"addresses":[null],"kind":"person"}"#,
            #"{"name":"a","age":3,"addresses":[[]],"kind":"person"}"#,
            #"{"name":"a","age":3,"addresses":{},"kind":"person"}"#,
            #"{"name":"a","age":3,"addresses":null,"kind":"person"}"#,
            #"{"name":"a","age":3,"addresses":[],"spouse":"b","kind":"person"}"#,
            #"{"name":"a","age":3,"addresses":[],"spouse":{"city":null},"kind":"person"}"#,
            #"{"name":"a","age":3,"addresses":[],"spouse":{"city":"c","zip":"1"},"kind":"person"}"#,
            #"{"name":"a","age":3,"addresses":[],"kind":"robot"}"#,
            #"{"name":"a","age":3,"addresses":[],"kind":7}"#,
            #"{"name":"a","age":3,"addresses":[]}"#,
            #"{"name":"a","addresses":[],"kind":"person"}"#,
            #"{"name":"a","age":null,"addresses":[],"kind":"person"}"#,
            #"{"name":"a","age":"3","addresses":[],"kind":"person"}"#,
            #"{"name":"a","age":true,"addresses":[],"kind":"person"}"#,
            #"{"name":"a","age":3.5,"addresses":[],"kind":"person"}"#,
            #"{"name":"a","age":1e30,"addresses":[],"kind":"person"}"#,
            #"{"name":"a","age":9223372036854775808,"addresses":[],"kind":"person"}"#,
            #"{"name":"a","age":3,"vip":1,"addresses":[],"kind":"person"}"#,
            #"{"name":"a","age":3,"vip":"true","addresses":[],"kind":"person"}"#,
            #"{"name":null,"age":3,"addresses":[],"kind":"person"}"#,
            #"{"name":["a"],"age":"x","addresses":[],"kind":"person"}"#,
            #"{"age":3}"#,
            #"{"name":"a","name":1,"age":3,"addresses":[],"kind":"person"}"#,
            "{}", "[]", "null", "3", #""x""#, "", "{nope", #"{"name":"a"} x"#, #"{"name":"\ud800"}"#,
        ]
        for body in bodies {
            let expected = await outcome { try await self.request(body).decodeJSON(Client.self, maxBytes: 1000) }
            let actual = await outcome { try await self.request(body).decodeJSON(maxBytes: 1000, Self.client) }
            XCTAssertEqual(actual, expected, body)
        }
    }

    func testMessagesNameTheField() async {
        let missing = await outcome { try await self.request(#"{"name":"a","age":3,"addresses":[{}],"kind":"person"}"#)
            .decodeJSON(maxBytes: 1000, Self.client) }
        XCTAssertEqual(missing, "invalid_argument Missing field 'addresses[0].city' field=addresses[0].city")
        let wrong = await outcome { try await self.request(#"{"name":"a","age":"3"}"#).decodeJSON(maxBytes: 1000, Self.client) }
        XCTAssertEqual(wrong, "invalid_argument Field 'age' must be an integer field=age")
        let broken = await outcome { try await self.request("{").decodeJSON(maxBytes: 1000, Self.client) }
        XCTAssertEqual(broken, "invalid_argument Request body is not valid JSON field=$")
    }

    func testKeepsTheContentTypeAndSizeChecks() async throws {
        let text = HTTPRequest(method: .POST, target: "/", headers: ["Content-Type": "text/plain"], body: HTTPRequestBody(bytes: Array("{}".utf8)))
        do {
            _ = try await text.decodeJSON(maxBytes: 1000, Self.client)
            XCTFail("expected 415")
        } catch let error as HTTPError {
            XCTAssertEqual(error.status.code, 415)
        }
        do {
            _ = try await request(#"{"name":"aaaaaaaaaaaaaaaaaa"}"#).decodeJSON(maxBytes: 5, Self.client)
            XCTFail("expected 413")
        } catch let error as HTTPError {
            XCTAssertEqual(error.status.code, 413)
        }
    }
}
