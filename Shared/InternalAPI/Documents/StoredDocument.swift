import ClientDomain
import Foundation
import JSON

/// A document as the document store keeps it: what a `DocumentReference` shows, plus its
/// owner once the gateway claimed it for a client.
///
/// An upload is stored unclaimed (the care API names its client inside the multipart body,
/// after the file may have streamed); the gateway claims it for the client it authorized,
/// then attaches it with a command. Unclaimed uploads older than the sweep's grace period are
/// deleted (an upload whose gateway died before claiming).
public struct StoredDocument: Sendable, Equatable {
    public var reference: DocumentReference
    public var tenantId: UUID?
    public var clientId: UUID?

    public init(reference: DocumentReference, tenantId: UUID? = nil, clientId: UUID? = nil) {
        self.reference = reference
        self.tenantId = tenantId
        self.clientId = clientId
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = ["document": reference.json]
        if let tenantId { object["tenantId"] = .string(tenantId.uppercasedString) }
        if let clientId { object["clientId"] = .string(clientId.uppercasedString) }
        return .object(object)
    }

    public init(json value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        self.init(reference: try DocumentReference(json: object.object("document")),
                  tenantId: try object.optionalParsed("tenantId", UUID.init(canonical:)),
                  clientId: try object.optionalParsed("clientId", UUID.init(canonical:)))
    }
}

/// The document store's answer to an upload: the stored document and the multipart body's
/// text fields the upload asked for (`fields=`), by name.
public struct DocumentUploadResult: Sendable, Equatable {
    public var document: DocumentReference
    public var fields: [String: String]

    public init(document: DocumentReference, fields: [String: String]) {
        self.document = document
        self.fields = fields
    }

    public var json: JSONValue {
        .object(["document": document.json, "fields": .object(fields.mapValues { .string($0) })])
    }

    public init(json value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        var fields: [String: String] = [:]
        if case .object(let raw)? = object.optional("fields") {
            for (key, value) in raw {
                fields[key] = try JSONObjectReader.string(value, path: "fields." + key)
            }
        }
        self.init(document: try DocumentReference(json: object.object("document")), fields: fields)
    }
}

/// What `clientctl documents verify` reports: every file rehashed against its metadata.
public struct DocumentVerifyReport: Sendable, Equatable {
    /// Metadata rows checked.
    public var checked: Int
    /// Documents whose file is gone (their ids).
    public var missing: [UUID]
    /// Documents whose file's size or SHA-256 differs from the metadata (their ids).
    public var corrupt: [UUID]
    /// Files no document names (their SHA-256), and temporary files of unfinished uploads.
    public var orphaned: [String]

    public init(checked: Int = 0, missing: [UUID] = [], corrupt: [UUID] = [], orphaned: [String] = []) {
        self.checked = checked
        self.missing = missing
        self.corrupt = corrupt
        self.orphaned = orphaned
    }

    public var isClean: Bool { missing.isEmpty && corrupt.isEmpty && orphaned.isEmpty }

    public var json: JSONValue {
        .object(["checked": .int(Int64(checked)), "missing": .array(missing.map { .string($0.uppercasedString) }),
                 "corrupt": .array(corrupt.map { .string($0.uppercasedString) }), "orphaned": .array(orphaned.map { .string($0) })])
    }

    public init(json value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        func ids(_ key: String) throws(JSONFieldError) -> [UUID] {
            try object.optionalArray(key) { value, path throws(JSONFieldError) in
                guard let id = UUID(canonical: try JSONObjectReader.string(value, path: path)) else {
                    throw JSONFieldError(.invalidValue, path: path, detail: "expected a UUID")
                }
                return id
            } ?? []
        }
        self.init(checked: Int(try object.int64("checked")), missing: try ids("missing"), corrupt: try ids("corrupt"),
                  orphaned: try object.optionalArray("orphaned") { value, path throws(JSONFieldError) in
                      try JSONObjectReader.string(value, path: path)
                  } ?? [])
    }
}
