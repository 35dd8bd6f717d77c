import Foundation

/// A document attached to a client, as the client's events record it.
///
/// The bytes live in the document store only; the stream keeps what the APIs show of the
/// document (its sanitised name, the type sniffed from its content, size and SHA-256), so a
/// rebuild from the log restores every client's documents. `name` is personal data: it is in
/// events and read models like the profile, never in log lines.
public struct DocumentReference: Sendable, Equatable, Hashable, Codable {
    /// The document store's id of this upload.
    public var id: UUID
    public var use: DocumentUse
    /// The care document's kind (care documents only).
    public var documentType: CareDocumentType?
    /// The sanitised file name (no path, no control characters, at most `maxNameBytes`).
    public var name: String
    /// The media type sniffed from the content (`application/pdf`, `image/png`, ...).
    public var contentType: String
    public var size: Int64
    /// The content's SHA-256, 64 lower-case hex digits.
    public var sha256: String
    public var uploadedAt: Date

    /// Longest accepted name, in UTF-8 bytes.
    public static let maxNameBytes = 255
    /// Most care documents one client may have; a passport comes on top.
    public static let maxCareDocuments = 200

    public init(id: UUID, use: DocumentUse, documentType: CareDocumentType? = nil, name: String, contentType: String,
                size: Int64, sha256: String, uploadedAt: Date) {
        self.id = id
        self.use = use
        self.documentType = documentType
        self.name = name
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
        self.uploadedAt = uploadedAt
    }

    /// Whether the reference is one a command may attach: a name within the limit without
    /// control characters, a hex SHA-256, a non-negative size, a media type, and a document
    /// type exactly when the use is care.
    public var isWellFormed: Bool {
        let nameBytes = name.utf8
        return !nameBytes.isEmpty && nameBytes.count <= Self.maxNameBytes
            && !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            && !name.contains("/")
            && sha256.utf8.count == 64 && sha256.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) })
            && size >= 0
            && !contentType.isEmpty && contentType.utf8.count <= 100
            && (use == .care) == (documentType != nil)
    }
}
