import Foundation
import JSON

/// The document store's question to the command service: which of these claimed documents
/// does its client's stream hold attached now? (`InternalPaths.attachedDocuments`.) The
/// store's sweep asks it about documents claimed longer ago than its grace period and never
/// confirmed, and removes those the event store does not hold (the gateway's attach command
/// failed, or the gateway died between the claim and the command).
public struct AttachedDocumentsQuery: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var clientId: UUID
        public var documentId: UUID

        public init(clientId: UUID, documentId: UUID) {
            self.clientId = clientId
            self.documentId = documentId
        }
    }

    /// The most documents one question may name.
    public static let maxDocuments = 500

    public var documents: [Entry]

    public init(documents: [Entry]) {
        self.documents = documents
    }

    public var json: JSONValue {
        .object(["documents": .array(documents.map {
            .object(["clientId": .string($0.clientId.lowercasedString), "documentId": .string($0.documentId.lowercasedString)])
        })])
    }

    public init(json value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        documents = try JSONObjectReader.array(object.required("documents", .array), path: "documents") {
            item, path throws(JSONFieldError) in
            let entry = try JSONObjectReader(item, path: path)
            return Entry(clientId: try entry.parsed("clientId", UUID.init(canonical:)),
                         documentId: try entry.parsed("documentId", UUID.init(canonical:)))
        }
    }
}

/// The command service's answer: the asked documents that are attached to their client now.
public struct AttachedDocumentsAnswer: Sendable, Equatable {
    public var attached: [UUID]

    public init(attached: [UUID]) {
        self.attached = attached
    }

    public var json: JSONValue {
        .object(["attached": .array(attached.map { .string($0.lowercasedString) })])
    }

    public init(json value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        attached = try JSONObjectReader.array(object.required("attached", .array), path: "attached") {
            item, path throws(JSONFieldError) in try JSONObjectReader.parsed(item, path: path, UUID.init(canonical:))
        }
    }
}
