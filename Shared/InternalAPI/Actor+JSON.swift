import ClientDomain
import JSON

extension Actor {
    /// This actor's wire shape inside the hand-coded internal types.
    var internalJSON: JSONValue {
        .object(["kind": .string(kind.rawValue), "id": .string(id)])
    }

    /// Reads what `internalJSON` writes.
    init(internalJSON object: JSONObjectReader) throws(JSONFieldError) {
        self.init(kind: try object.parsed("kind", Kind.init(rawValue:)), id: try object.string("id"))
    }
}
