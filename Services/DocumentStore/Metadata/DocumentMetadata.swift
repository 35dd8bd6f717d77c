import ClientDomain
import Foundation
import InternalAPI
import Postgres

/// The document store's rows in its own PostgreSQL database: one per upload, naming its
/// object by SHA-256 (several rows may share one object).
///
/// A row is inserted only after its object was renamed into place and the directory fsynced,
/// so every row names a whole file; rows are deleted when a document is detached, a client
/// deleted, or an upload was never claimed.
struct DocumentMetadata: Sendable {
    let pool: PostgresPool

    static let migrations: [Migration] = [
        Migration(version: 1, name: "document store: documents", sql: """
        CREATE TABLE documents (
            id             UUID PRIMARY KEY,
            sha256         TEXT NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
            size           BIGINT NOT NULL CHECK (size >= 0),
            content_type   TEXT NOT NULL,
            name           TEXT NOT NULL CHECK (octet_length(name) BETWEEN 1 AND 255),
            use            TEXT NOT NULL CHECK (use IN ('passport', 'care')),
            document_type  TEXT,
            tenant_id      UUID,
            client_id      UUID,
            created_at     TIMESTAMPTZ NOT NULL,
            claimed_at     TIMESTAMPTZ,
            CHECK ((claimed_at IS NULL) = (client_id IS NULL) AND (client_id IS NULL) = (tenant_id IS NULL))
        );
        CREATE INDEX documents_by_sha256 ON documents (sha256);
        CREATE INDEX documents_by_client ON documents (client_id) WHERE client_id IS NOT NULL;
        CREATE INDEX documents_unclaimed ON documents (created_at) WHERE claimed_at IS NULL;
        """),
        // A claimed document is confirmed attached once the command service says its client's
        // stream holds it (`DocumentSweep`); until then the sweep may remove it.
        Migration(version: 2, name: "document store: attachment confirmed", sql: """
        ALTER TABLE documents ADD COLUMN attached_at TIMESTAMPTZ;
        CREATE INDEX documents_unconfirmed ON documents (claimed_at) WHERE claimed_at IS NOT NULL AND attached_at IS NULL;
        """),
    ]

    private static let columns = "id, sha256, size, content_type, name, use, document_type, tenant_id, client_id, created_at"

    func insert(_ document: DocumentReference) async throws {
        try await pool.execute("""
            INSERT INTO documents (id, sha256, size, content_type, name, use, document_type, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """, [document.id, document.sha256, document.size, document.contentType, document.name, document.use.rawValue,
                  document.documentType?.rawValue, document.uploadedAt])
    }

    func document(_ id: UUID) async throws -> StoredDocument? {
        try await pool.query("SELECT \(Self.columns) FROM documents WHERE id = $1", [id]).first.map(Self.stored)
    }

    /// Claims an unclaimed upload for a client (again for the same client is fine); false when
    /// there is no such upload or another client has it.
    /// The care document's kind is set with the claim (the care API names it in the body).
    func claim(_ id: UUID, tenantId: UUID, clientId: UUID, documentType: CareDocumentType?) async throws -> Bool {
        try await pool.execute("""
            UPDATE documents SET tenant_id = $2, client_id = $3, claimed_at = coalesce(claimed_at, now()),
                                 document_type = coalesce($4, document_type)
            WHERE id = $1 AND (client_id IS NULL OR (client_id = $3 AND tenant_id = $2))
            """, [id, tenantId, clientId, documentType?.rawValue]) == 1
    }

    func delete(_ id: UUID) async throws -> Int {
        try await pool.execute("DELETE FROM documents WHERE id = $1", [id])
    }

    func deleteDocuments(ofClient clientId: UUID) async throws -> Int {
        try await pool.execute("DELETE FROM documents WHERE client_id = $1", [clientId])
    }

    /// Deletes every document of `clientId`; the objects their rows named.
    func deleteDocumentsNamingObjects(ofClient clientId: UUID) async throws -> (documents: Int, digests: Set<String>) {
        let digests = try await pool.query("DELETE FROM documents WHERE client_id = $1 RETURNING sha256", [clientId])
            .map { try $0.decode(0, as: String.self) }
        return (digests.count, Set(digests))
    }

    /// Those of `digests` that some row names.
    func referenced(_ digests: Set<String>) async throws -> Set<String> {
        guard !digests.isEmpty else { return [] }
        let list = "{" + digests.sorted().joined(separator: ",") + "}"
        return Set(try await pool.query("SELECT DISTINCT sha256 FROM documents WHERE sha256 = ANY($1::text[])", [list])
            .map { try $0.decode(0, as: String.self) })
    }

    /// Deletes uploads never claimed within `grace`; how many.
    func deleteUnclaimed(olderThan grace: Duration) async throws -> Int {
        try await pool.execute("DELETE FROM documents WHERE claimed_at IS NULL AND created_at < now() - make_interval(secs => $1)",
                               [Double(grace.components.seconds)])
    }

    /// Up to `limit` documents claimed more than `grace` ago and not yet confirmed attached,
    /// oldest claim first.
    func unconfirmedClaims(olderThan grace: Duration, limit: Int) async throws -> [AttachedDocumentsQuery.Entry] {
        try await pool.query("""
            SELECT client_id, id FROM documents
            WHERE claimed_at IS NOT NULL AND attached_at IS NULL AND claimed_at < now() - make_interval(secs => $1)
            ORDER BY claimed_at LIMIT $2
            """, [Double(grace.components.seconds), limit]).map {
            AttachedDocumentsQuery.Entry(clientId: try $0.decode(0, as: UUID.self), documentId: try $0.decode(1, as: UUID.self))
        }
    }

    /// Records that the event store holds these documents attached: the sweep leaves them be.
    func confirmAttached(_ ids: [UUID]) async throws {
        guard !ids.isEmpty else { return }
        try await pool.execute("UPDATE documents SET attached_at = now() WHERE id = ANY($1::uuid[]) AND attached_at IS NULL",
                               [PostgresArray(ids)])
    }

    /// Deletes these claimed documents unless they were confirmed attached meanwhile; how many.
    func deleteUnattached(_ ids: [UUID]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await pool.execute("""
            DELETE FROM documents WHERE id = ANY($1::uuid[]) AND claimed_at IS NOT NULL AND attached_at IS NULL
            """, [PostgresArray(ids)])
    }

    /// The SHA-256 of every object some row names.
    func referencedDigests() async throws -> Set<String> {
        Set(try await pool.query("SELECT DISTINCT sha256 FROM documents").map { try $0.decode(0, as: String.self) })
    }

    /// Every row's id, object and size (for verification).
    func allObjects() async throws -> [(id: UUID, sha256: String, size: Int64)] {
        try await pool.query("SELECT id, sha256, size FROM documents ORDER BY id").map {
            (try $0.decode(0, as: UUID.self), try $0.decode(1, as: String.self), try $0.decode(2, as: Int64.self))
        }
    }

    private static func stored(_ row: PostgresRow) throws -> StoredDocument {
        let documentType = try row.decodeIfPresent(6, as: String.self)
        let reference = DocumentReference(
            id: try row.decode(0, as: UUID.self), use: DocumentUse(rawValue: try row.decode(5, as: String.self)) ?? .care,
            documentType: documentType.flatMap(CareDocumentType.init(rawValue:)), name: try row.decode(4, as: String.self),
            contentType: try row.decode(3, as: String.self), size: try row.decode(2, as: Int64.self),
            sha256: try row.decode(1, as: String.self), uploadedAt: try row.decode(9, as: Date.self))
        return StoredDocument(reference: reference, tenantId: try row.decodeIfPresent(7, as: UUID.self),
                              clientId: try row.decodeIfPresent(8, as: UUID.self))
    }
}
