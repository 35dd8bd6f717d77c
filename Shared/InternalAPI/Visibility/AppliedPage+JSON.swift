import Foundation
import JSON

/// The feed page's wire shape, read and written without `Codable`:
/// `{"epoch":"…","next":N,"complete":true,"applied":[["<uuid>",V],…]}` (pairs, not objects:
/// a page is sent for every commit).
extension AppliedPage {
    public var internalJSON: JSONValue {
        .object([
            "epoch": .string(epoch), "next": .int(Int64(clamping: next)), "complete": .bool(complete),
            "applied": Self.pairs(applied), "parked": Self.pairs(parked),
        ])
    }

    private static func pairs(_ versions: [AppliedVersion]) -> JSONValue {
        .array(versions.map { .array([.string($0.streamId.lowercasedString), .int($0.version)]) })
    }

    public init(internalJSON value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        let next = try object.int64("next")
        guard next >= 0 else { throw JSONFieldError(.invalidValue, path: "next", detail: "next: below 0") }
        let applied = try Self.pairs(object.required("applied", .array), path: "applied")
        let parked = try object.optional("parked").map { value throws(JSONFieldError) in try Self.pairs(value, path: "parked") } ?? []
        self.init(epoch: try object.string("epoch"), next: UInt64(next), complete: try object.bool("complete"), applied: applied,
                  parked: parked)
    }

    private static func pairs(_ value: JSONValue, path: String) throws(JSONFieldError) -> [AppliedVersion] {
        try JSONObjectReader.array(value, path: path) { item, path throws(JSONFieldError) in
            guard case .array(let pair) = item, pair.count == 2 else {
                throw JSONFieldError(.invalidValue, path: path, detail: "\(path): expected [id, version]")
            }
            let text = try JSONObjectReader.string(pair[0], path: path + "[0]")
            guard let id = UUID(canonical: text) else {
                throw JSONFieldError(.invalidValue, path: path + "[0]", detail: "\(path)[0]: not a UUID")
            }
            return AppliedVersion(streamId: id, version: try JSONObjectReader.int64(pair[1], path: path + "[1]"))
        }
    }
}
