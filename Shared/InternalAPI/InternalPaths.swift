import Foundation
import JSON

/// The internal routes, shared by the services that serve them and the gateway that calls them.
public enum InternalPaths {
    /// Command service: `POST` a `ClientCommandRequest`, answered with a `ClientCommandResponse`.
    public static let clientCommands = "/internal/v1/client-commands"
    /// Search projection: `GET` with `ClientListQuery` parameters, answered with a `ClientListPage`.
    public static let clients = "/internal/v1/clients"
    /// Search projection: `GET /internal/v1/clients/:id?tenantId=` → `ClientRecord` or 404.
    public static func client(_ id: UUID) -> String { "\(clients)/\(id.lowercasedString)" }
    /// Search projection: `GET .../:id/visibility?version=V&timeoutMs=T` → `ClientVisibility`,
    /// answering as soon as the client is at `version` or later, else after `timeoutMs`.
    public static func visibility(_ id: UUID) -> String { "\(client(id))/visibility" }
    /// Search projection: `GET ?after=N&epoch=E&timeoutMs=T` → the `AppliedPage` after cursor
    /// `N` of feed `E` (both left out: start following), waiting up to `T` ms for a commit.
    public static let applied = "/internal/v1/applied"
    /// Search projection: `POST` a batch of `TenantClientId`s (`TenantClientId+JSON`), answered
    /// with one record or `null` per lookup, in order. Not under `clients`, so a projection
    /// without it answers the router's 404 (`HTTPError.noRouteCode`), not a 405 of `:id`.
    public static let clientLookups = "/internal/v1/client-lookups"
    /// Search projection: `GET` with `ClientCursorQuery` parameters, answered with a
    /// `ClientCursorPage` (the workspace API's keyset-paged lists).
    public static let clientPages = "/internal/v1/client-pages"
    /// Search projection: `GET` with `CareAppointmentsQuery` parameters → `[CareAppointment]`
    /// (`CareAppointment+Wire`).
    public static let careAppointments = "/internal/v1/care-appointments"
    /// Search projection: `GET ?carerId=&tenantId=` (comma-separated) → `[CarerClient]`
    /// (`CarerClient+Wire`), the clients the carer has appointments with, by number.
    public static let carerClients = "/internal/v1/carer-clients"
    /// Search projection: `GET` with `ClientListQuery` parameters (its filters; `limit`,
    /// `offset` and `after` are not read), answered with the care export's stream
    /// (`CareExportPage+Stream`): every matching client by id, page after page.
    public static let careExport = "/internal/v1/care-export"
    /// Stats projection: `GET` with `tenantId` (comma-separated UUIDs) or `allTenants=true`,
    /// and optionally `asOf` (RFC 3339; default now), answered with a `ClientStats`.
    public static let stats = "/internal/v1/stats"

    // MARK: Every service

    /// Every service with background work: `GET` answers a `ServiceStatus`. Requires the
    /// internal token. A service without this route has nothing to report (404).
    public static let status = "/internal/v1/status"

    // MARK: Projection services' quarantine

    /// Projection services: `GET` → `QuarantineReport`.
    public static let quarantine = "/internal/v1/admin/quarantine"
    /// Projection services: `POST` → `QuarantineRelease` (200), or 409 when the stream's
    /// events still cannot be applied (it stays parked), 404 when it is not parked.
    public static func quarantineRetry(_ stream: UUID) -> String { "\(quarantine)/\(stream.lowercasedString)/retry" }
    /// Projection services: `POST` `{"by": "<operator>"}` → `QuarantineRelease`; 404 when not parked.
    public static func quarantineSkip(_ stream: UUID) -> String { "\(quarantine)/\(stream.lowercasedString)/skip" }

    /// Command service: `POST` a `ClientKeysQuery`, answered with a `ClientKeysAnswer`: the
    /// data keys the projections open sealed events with (`EventSealing`).
    public static let clientKeys = "/internal/v1/client-keys"
    /// Command service: `POST` a `HistorySealingStep.Request`, answered with a
    /// `HistorySealingStep`: seals the stored events of the next streams that are not sealed yet.
    public static let encryptHistory = "/internal/v1/privacy/encrypt-history"

    /// Command service: `POST` an `AttachedDocumentsQuery`, answered with an
    /// `AttachedDocumentsAnswer` (which of the documents their clients' streams hold now).
    public static let attachedDocuments = "/internal/v1/attached-documents"
    /// Command service: `GET /internal/v1/client-history/:id?tenantId=T&after=V` → the
    /// `ClientHistoryPage` of the stream's events after version `V` (0 when left out); 404 when
    /// the tenant holds no such stream.
    public static let clientHistory = "/internal/v1/client-history"
    public static func clientHistory(_ id: UUID) -> String { "\(clientHistory)/\(id.lowercasedString)" }

    // MARK: Document store

    /// Document store: `POST ?use=passport|care&field=NAME[&fields=a,b]` a `multipart/form-data`
    /// body (streamed), answered 201 with a `DocumentUploadResult`; `DELETE ?clientId=` deletes a
    /// client's documents.
    public static let documents = "/internal/v1/documents"
    /// Document store: `GET` a `StoredDocument`, `DELETE` it.
    public static func document(_ id: UUID) -> String { "\(documents)/\(id.lowercasedString)" }
    /// Document store: `GET` the bytes (`Range` honoured, `ETag` the SHA-256).
    public static func documentContent(_ id: UUID) -> String { "\(document(id))/content" }
    /// Document store: `POST {"tenantId", "clientId"}` claims an upload for its client.
    public static func documentClaim(_ id: UUID) -> String { "\(document(id))/claim" }
    /// Document store: `POST` rehashes every file, answered with a `DocumentVerifyReport`.
    public static let documentVerification = "/internal/v1/document-verification"
    /// Document store: `POST` runs the sweep now (unclaimed uploads and unreferenced files past
    /// the grace period), answered with `{"uploads": n, "files": n}` removed.
    public static let documentSweep = "/internal/v1/document-sweep"
    /// Document store: `POST {"clientId"}` deletes every document of the client (its rows) and
    /// at once the files no other row names (a client's erasure), answered with
    /// `{"documents": n, "files": n}` removed.
    public static let documentErasures = "/internal/v1/document-erasures"
}
