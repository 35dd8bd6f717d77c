import ClientDomain
import JSON

extension Actor {
    /// This actor as `InternalJSON.encoder()` writes it.
    var internalJSON: JSONValue {
        .object(["kind": .string(kind.rawValue), "id": .string(id)])
    }

    /// Reads what `internalJSON` writes, failing as `InternalJSON.decoder()` would.
    init(internalJSON object: JSONObjectReader) throws(JSONFieldError) {
        self.init(kind: try object.parsed("kind", Kind.init(rawValue:)), id: try object.string("id"))
    }
}
