import Errors
import XCTest
@testable import HTTP

final class HTTPResponseErrorTests: XCTestCase {
    private struct Secret: Error, CustomStringConvertible { var description: String { "password=hunter2" } }
    private struct LibraryError: ClienteleErrorConvertible {
        var clienteleError: ClienteleError { ClienteleError(.unavailable, "Database unavailable", internalDetail: "host db1") }
    }

    private func json(_ response: HTTPResponse) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(response.body))
    }

    func testEveryCodeMapsToItsStatus() {
        let expected: [(ClienteleError.Code, Int)] = [
            (.invalidArgument, 400), (.unauthenticated, 401), (.permissionDenied, 403), (.notFound, 404),
            (.methodNotAllowed, 405), (.conflict, 409), (.preconditionFailed, 412), (.unprocessable, 422),
            (.resourceExhausted, 429), (.notImplemented, 501), (.unavailable, 503), (.deadlineExceeded, 504),
            (.internal, 500), (ClienteleError.Code(rawValue: "made_up"), 500),
        ]
        for (code, status) in expected {
            let response = HTTPResponse(error: ClienteleError(code, "m"))
            XCTAssertEqual(response.status.code, status, code.rawValue)
            XCTAssertEqual(json(response)?["error"], .string(code.rawValue))
        }
    }

    func testBodyCarriesMessageAndContextButNotInternalDetail() {
        let response = HTTPResponse(error: ClienteleError(.invalidArgument, "Bad email", context: ["field": "email", "error": "x"],
                                                          internalDetail: "SELECT secret"))
        XCTAssertEqual(json(response), ["error": "invalid_argument", "message": "Bad email", "field": "email"])
        XCTAssertFalse(String(decoding: response.body, as: UTF8.self).contains("SELECT"))
    }

    func testConvertibleAndUnknownErrors() {
        let library = HTTPResponse(error: LibraryError())
        XCTAssertEqual(library.status.code, 503)
        XCTAssertFalse(String(decoding: library.body, as: UTF8.self).contains("db1"))
        let unknown = HTTPResponse(error: Secret())
        XCTAssertEqual(unknown.status.code, 500)
        XCTAssertEqual(json(unknown), ["error": "internal", "message": "Internal server error"])
    }

    func testHTTPErrorKeepsExactStatus() {
        let response = HTTPResponse(error: HTTPError.payloadTooLarge(limit: 10))
        XCTAssertEqual(response.status.code, 413)
        XCTAssertEqual(json(response)?["error"], "payload_too_large")
        XCTAssertEqual(HTTPError(status: .unsupportedMediaType, message: "x").clienteleError.code, .invalidArgument)
    }

    func testDecodeJSONNamesTheBadField() async throws {
        struct Address: Decodable { var city: String }
        struct Client: Decodable { var name: String; var age: Int; var addresses: [Address] }
        func request(_ body: String, contentType: String? = "application/json; charset=utf-8") -> HTTPRequest {
            var headers = HTTPHeaders()
            if let contentType { headers.add(name: "Content-Type", value: contentType) }
            return HTTPRequest(method: .POST, target: "/", headers: headers, body: HTTPRequestBody(bytes: Array(body.utf8)))
        }
        let ok = try await request(#"{"name":"a","age":3,"addresses":[]}"#).decodeJSON(Client.self, maxBytes: 1000)
        XCTAssertEqual(ok.age, 3)
        do {
            _ = try await request(#"{"name":"a","age":3,"addresses":[{"city":1}]}"#).decodeJSON(Client.self, maxBytes: 1000)
            XCTFail("expected error")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .invalidArgument)
            XCTAssertEqual(error.context["field"], "addresses[0].city")
        }
        do {
            _ = try await request(#"{"name":"a"}"#).decodeJSON(Client.self, maxBytes: 1000)
            XCTFail("expected error")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.context["field"], "age")
        }
        do {
            _ = try await request("{nope").decodeJSON(Client.self, maxBytes: 1000)
            XCTFail("expected error")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .invalidArgument)
        }
        do {
            _ = try await request("{}", contentType: "text/plain").decodeJSON(Client.self, maxBytes: 1000)
            XCTFail("expected error")
        } catch let error as HTTPError {
            XCTAssertEqual(error.status.code, 415)
        }
        do {
            _ = try await request(#"{"name":"aaaaaaaaaaaaaaaaaa"}"#).decodeJSON(Client.self, maxBytes: 5)
            XCTFail("expected error")
        } catch let error as HTTPError {
            XCTAssertEqual(error.status.code, 413)
        }
    }

    func testJSONValueRoundTripKeepsIntegersExact() throws {
        let text = #"{"big":9007199254740993,"f":1.5,"s":"a\"b\n","n":null,"t":true,"a":[1,"x"]}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        XCTAssertEqual(value["big"], .int(9007199254740993))
        XCTAssertEqual(value["f"], .number(1.5))
        let again = try JSONDecoder().decode(JSONValue.self, from: Data(value.serialized()))
        XCTAssertEqual(again, value)
        XCTAssertEqual(String(decoding: JSONValue.string("\u{1}").serialized(), as: UTF8.self), "\"\\u0001\"")
    }

    func testResponseSerializationDropsInjectedHeaders() {
        var response = HTTPResponse.text("hi")
        response.headers.add(name: "X-Evil", value: "a\r\nSet-Cookie: x=1")
        response.headers.add(name: "Bad Name", value: "v")
        response.headers.add(name: "Content-Length", value: "999")
        response.headers.add(name: "X-Good", value: "fine")
        var out: [UInt8] = []
        HTTPConnection.serialize(response, isHead: false, close: false, keepAliveHeader: false, into: &out)
        let text = String(decoding: out, as: UTF8.self)
        XCTAssertEqual(text, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nX-Good: fine\r\nContent-Length: 2\r\n\r\nhi")
    }
}
