import Foundation
import JSON

extension DocumentReference {
    /// `{"contentType", "documentType"?, "id", "name", "sha256", "size", "uploadedAt", "use"}`.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(id.uppercasedString), "use": .string(use.rawValue), "name": .string(name),
            "contentType": .string(contentType), "size": .int(size), "sha256": .string(sha256),
            "uploadedAt": .string(Timestamp.format(uploadedAt)),
        ]
        if let documentType { object["documentType"] = .string(documentType.rawValue) }
        return .object(object)
    }

    /// Reads what `json` writes.
    public init(json object: JSONObjectReader) throws(JSONFieldError) {
        self.init(id: try object.parsed("id", UUID.init(canonical:)),
                  use: try object.parsed("use", DocumentUse.init(rawValue:)),
                  documentType: try object.optionalParsed("documentType", CareDocumentType.init(rawValue:)),
                  name: try object.string("name"), contentType: try object.string("contentType"),
                  size: try object.int64("size"), sha256: try object.string("sha256"),
                  uploadedAt: try object.parsed("uploadedAt", Timestamp.parse))
    }

    /// Reads the element at `path` of an array of what `json` writes.
    public init(json value: JSONValue, path: String) throws(JSONFieldError) {
        try self.init(json: JSONObjectReader(value, path: path))
    }
}
