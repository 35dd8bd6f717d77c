import Foundation
import HTTP
import XCTest

/// `JSONWriter` against `JSONValue.serialized()`: a tree written member by member, keys in
/// ascending order, gives the same text, separators included.
final class JSONWriterTests: XCTestCase {
    func testWritesWhatSerializedWritesForRandomTrees() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let tree = randomValue(depth: 0, &random)
            var writer = JSONWriter(capacity: 8)
            write(tree, to: &writer)
            XCTAssertEqual(String(decoding: writer.bytes, as: UTF8.self), String(decoding: tree.serialized(), as: UTF8.self))
            XCTAssertEqual(try JSONParser.parse(writer.bytes), tree)
        }
    }

    func testContainersAndOptionalStrings() {
        let text = JSONWriter.object { object in
            object.key("a")
            object.array { _ in }
            object.key("b")
            object.object { _ in }
            object.member("c", nil as String?)
            object.member("d", "q\"\\\n\u{01}é" as String?)
            object.key("e")
            object.array { array in
                array.value(Int64(-3))
                array.value(true)
                array.object { inner in
                    inner.key("x")
                    inner.value(JSONValue.object(["z": 1, "y": [false]]))
                }
                array.value(JSONValue.null)
            }
        }
        XCTAssertEqual(String(decoding: text, as: UTF8.self),
                       #"{"a":[],"b":{},"c":null,"d":"q\"\\\n\u0001é","e":[-3,true,{"x":{"y":[false],"z":1}},null]}"#)
    }

    private func write(_ value: JSONValue, to writer: inout JSONWriter) {
        switch value {
        case .object(let members):
            writer.object { object in
                for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                    object.key(key)
                    write(member, to: &object)
                }
            }
        case .array(let elements):
            writer.array { array in
                for element in elements { write(element, to: &array) }
            }
        case .string(let text): writer.value(text)
        case .int(let number): writer.value(number)
        case .bool(let flag): writer.value(flag)
        default: writer.value(value)
        }
    }

    private func randomValue(depth: Int, _ random: inout SystemRandomNumberGenerator) -> JSONValue {
        let strings = ["", "a", "Zoë 🚀", "quote\"back\\slash", "line\nfeed\u{1F}", "0", "key"]
        switch Int.random(in: 0..<(depth < 3 ? 8 : 6), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .int(Int64.random(in: .min ... .max, using: &random))
        case 3: return .number(Double.random(in: -1e6...1e6, using: &random))
        case 4, 5: return .string(strings.randomElement(using: &random) ?? "")
        case 6: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in randomValue(depth: depth + 1, &random) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &random) {
                members[strings.randomElement(using: &random) ?? ""] = randomValue(depth: depth + 1, &random)
            }
            return .object(members)
        }
    }
}
