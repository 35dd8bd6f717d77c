import Foundation
import JSON

/// A reader of the log asking the command service for the data keys of client streams
/// (`InternalPaths.clientKeys`): `{"ids": ["<uuid>", …]}`.
public struct ClientKeysQuery: Sendable, Equatable {
    /// The most streams one question may name (a projection batch asks for its streams in
    /// questions of at most this many).
    public static let maxStreams = 5000

    public var streamIds: [UUID]

    public init(streamIds: [UUID]) {
        self.streamIds = streamIds
    }

    public var json: JSONValue {
        .object(["ids": .array(streamIds.map { .string($0.lowercasedString) })])
    }

    public init(json value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        streamIds = try JSONObjectReader.array(object.required("ids", .array), path: "ids") {
            item, path throws(JSONFieldError) in try JSONObjectReader.parsed(item, path: path, UUID.init(canonical:))
        }
    }
}

/// The command service's answer: each asked stream's key (base64 of its 32 raw bytes), or
/// that it was erased, or that no key is known: `{"keys": [{"id", "state": "key"|"erased"|
/// "unknown", "key"?}]}`. Holds secrets: never logged.
public struct ClientKeysAnswer: Sendable, Equatable {
    public enum Entry: Sendable, Equatable {
        case key([UInt8])
        case erased
        case unknown
    }

    public var keys: [UUID: Entry]

    public init(keys: [UUID: Entry]) {
        self.keys = keys
    }

    public var json: JSONValue {
        .object(["keys": .array(keys.map { id, entry in
            var object: [String: JSONValue] = ["id": .string(id.lowercasedString)]
            switch entry {
            case .key(let bytes):
                object["state"] = "key"
                object["key"] = .string(Data(bytes).base64EncodedString())
            case .erased: object["state"] = "erased"
            case .unknown: object["state"] = "unknown"
            }
            return .object(object)
        })])
    }

    public init(json value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        let entries = try JSONObjectReader.array(object.required("keys", .array), path: "keys") {
            item, path throws(JSONFieldError) -> (UUID, Entry) in
            let entry = try JSONObjectReader(item, path: path)
            let id = try entry.parsed("id", UUID.init(canonical:))
            switch try entry.string("state") {
            case "key":
                guard let bytes = Data(base64Encoded: try entry.string("key")) else {
                    throw JSONFieldError(.invalidValue, path: entry.path(of: "key"), detail: "not base64")
                }
                return (id, .key(Array(bytes)))
            case "erased": return (id, .erased)
            case "unknown": return (id, .unknown)
            default: throw JSONFieldError(.invalidValue, path: entry.path(of: "state"), detail: "unknown key state")
            }
        }
        keys = Dictionary(entries, uniquingKeysWith: { _, last in last })
    }
}
