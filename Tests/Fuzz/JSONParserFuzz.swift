// libFuzzer target for JSONParser; built by run-fuzzers.sh together with JSONValue's
// sources. Checks that what parses survives serialise → parse unchanged, and that the
// byte-array and raw-buffer entry points agree.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let fromArray = try? JSONParser.parse(bytes)
    let fromBuffer = try? JSONParser.parse(UnsafeRawBufferPointer(start: data, count: size))
    precondition(fromArray == fromBuffer, "entry points disagree")
    guard let value = fromArray else { return 0 }
    let text = value.serialized()
    guard let again = try? JSONParser.parse(text) else {
        preconditionFailure("serialised output does not parse: \(String(decoding: text, as: UTF8.self))")
    }
    precondition(again == value, "round trip changed the value: \(String(decoding: text, as: UTF8.self))")
    precondition(again.serialized() == text, "serialisation is not stable")
    return 0
}
