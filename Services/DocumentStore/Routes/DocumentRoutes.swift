import ClientDomain
import Errors
import Foundation
import Glibc
import HTTP
import InternalAPI
import ServiceRuntime

/// The document store's internal routes (`InternalPaths.documents` and below), each requiring
/// the internal token. Only the gateway calls them, after authorizing its caller.
struct DocumentRoutes: Sendable {
    let upload: DocumentUpload
    let metadata: DocumentMetadata
    let store: ContentStore
    let sweep: DocumentSweep
    let verification: DocumentVerification
    let token: InternalToken
    let uploadsInFlight: InFlightLimit

    /// A download is read and sent in pieces of this size, each read once the caller's
    /// connection has taken most of the previous one (`HTTPStreamedBody`'s backpressure).
    static let downloadPieceBytes = 256 * 1024
    /// The body limit of the upload route: what any cap allows plus the framing; each use's
    /// cap is applied while streaming.
    static let maxUploadBodyBytes = 1 << 40

    init(upload: DocumentUpload, metadata: DocumentMetadata, store: ContentStore, sweep: DocumentSweep,
         verification: DocumentVerification, token: InternalToken) {
        self.upload = upload
        self.metadata = metadata
        self.store = store
        self.sweep = sweep
        self.verification = verification
        self.token = token
        uploadsInFlight = InFlightLimit(limit: upload.limits.uploadsInFlight, what: "uploads")
    }

    func register(on setup: ServiceSetup) {
        let base = InternalPaths.documents
        setup.route(.POST, base, options: RouteOptions(maxBodyBytes: Self.maxUploadBodyBytes, streamsBody: true),
                    token.guarding { request in try await receive(request) })
        setup.route(.DELETE, base, token.guarding { request in try await deleteClientDocuments(request) })
        setup.route(.GET, base + "/:id", token.guarding { request in try await get(request) })
        setup.route(.DELETE, base + "/:id", token.guarding { request in try await delete(request) })
        setup.route(.GET, base + "/:id/content", token.guarding { request in try await content(request) })
        setup.route(.POST, base + "/:id/claim", options: RouteOptions(maxBodyBytes: 4096),
                    token.guarding { request in try await claim(request) })
        setup.route(.POST, InternalPaths.documentVerification, token.guarding { _ in
            .json(status: .ok, object: try await verification.run().json)
        })
        setup.route(.POST, InternalPaths.documentErasures, options: RouteOptions(maxBodyBytes: 4096),
                    token.guarding { request in try await eraseClientDocuments(request) })
        setup.route(.POST, InternalPaths.documentSweep, token.guarding { _ in
            let removed = try await sweep.sweep()
            return .json(status: .ok, object: ["uploads": .int(Int64(removed.uploads)), "unattached": .int(Int64(removed.unattached)),
                                               "files": .int(Int64(removed.files))])
        })
    }

    func receive(_ request: HTTPRequest) async throws -> HTTPResponse {
        let result = try await uploadsInFlight.run { try await upload.receive(request) }
        return .json(status: .created, object: result.json)
    }

    func get(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let document = try await metadata.document(try Self.id(request)) else { throw Self.notFound }
        return .json(status: .ok, object: document.json)
    }

    func delete(_ request: HTTPRequest) async throws -> HTTPResponse {
        let deleted = try await metadata.delete(try Self.id(request))
        return .json(status: .ok, object: ["deleted": .int(Int64(deleted))])
    }

    func deleteClientDocuments(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let clientId = request.queryParameter("clientId").flatMap(UUID.init(canonical:)) else {
            throw ClienteleError(.invalidArgument, "clientId must be a UUID", context: ["field": "clientId"])
        }
        let deleted = try await metadata.deleteDocuments(ofClient: clientId)
        return .json(status: .ok, object: ["deleted": .int(Int64(deleted))])
    }

    /// A client's erasure: its rows, then at once (no grace period) each of their files that no
    /// other row names. An object held by an upload under way (`ObjectGuard`), or named again
    /// by a row committed meanwhile, is someone else's now and stays. Logs counts only.
    func eraseClientDocuments(_ request: HTTPRequest) async throws -> HTTPResponse {
        let clientId = try await request.decodeJSON(maxBytes: 4096) { value throws(JSONFieldError) -> UUID in
            try JSONObjectReader(value).parsed("clientId", UUID.init(canonical:))
        }
        let (documents, digests) = try await metadata.deleteDocumentsNamingObjects(ofClient: clientId)
        // Read after the delete: a row naming one of these objects committed before this read
        // keeps it; one committing later holds the object (`ObjectGuard`) until then.
        let unreferenced = digests.subtracting(try await metadata.referenced(digests))
        let store = self.store
        let files = try await FileIO.offload {
            // `distantFuture`: however recently the object was written, nothing names it now.
            try unreferenced.filter { try store.removeUnreferenced($0, unchangedSince: .distantFuture) }.count
        }
        return .json(status: .ok, object: ["documents": .int(Int64(documents)), "files": .int(Int64(files))])
    }

    func claim(_ request: HTTPRequest) async throws -> HTTPResponse {
        let id = try Self.id(request)
        let (tenantId, clientId, documentType) = try await request.decodeJSON(maxBytes: 4096) {
            value throws(JSONFieldError) -> (UUID, UUID, CareDocumentType?) in
            let object = try JSONObjectReader(value)
            return (try object.parsed("tenantId", UUID.init(canonical:)), try object.parsed("clientId", UUID.init(canonical:)),
                    try object.optionalParsed("documentType", CareDocumentType.init(rawValue:)))
        }
        guard try await metadata.claim(id, tenantId: tenantId, clientId: clientId, documentType: documentType),
              let document = try await metadata.document(id) else { throw Self.notFound }
        return .json(status: .ok, object: document.json)
    }

    /// The file's bytes, or the one range asked for, streamed with their `Content-Length`
    /// (never held whole); `If-None-Match` with its ETag is 304. The file is opened before
    /// answering, so a missing one is a 500, not a truncated body.
    func content(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let document = try await metadata.document(try Self.id(request)) else { throw Self.notFound }
        let reference = document.reference
        let etag = "\"\(reference.sha256)\""
        var headers: HTTPHeaders = ["ETag": etag, "Accept-Ranges": "bytes", "Content-Type": reference.contentType]
        if let match = request.headers["If-None-Match"], match.split(separator: ",").contains(where: {
            $0.trimmingCharacters(in: .whitespaces) == etag || $0.trimmingCharacters(in: .whitespaces) == "*"
        }) {
            return HTTPResponse(status: HTTPStatus(code: 304, reasonPhrase: "Not Modified"), headers: headers)
        }
        let size = Int(reference.size)
        let range: ClosedRange<Int>?
        switch ByteRange.parse(request.headers["Range"], size: size) {
        case .whole: range = nil
        case .partial(let asked): range = asked
        case .unsatisfiable:
            headers.replaceOrAdd(name: "Content-Range", value: "bytes */\(size)")
            var response = HTTPResponse(error: ClienteleError(.invalidArgument, "The range is outside the file"))
            response.status = HTTPStatus(code: 416, reasonPhrase: "Range Not Satisfiable")
            for field in headers { response.headers.replaceOrAdd(name: field.name, value: field.value) }
            return response
        }
        let path = store.path(of: reference.sha256)
        let start = range?.lowerBound ?? 0
        let count = range.map { $0.count } ?? size
        let file = try await FileIO.offload { () throws -> OpenFile in
            let file = try OpenFile(path)
            guard let found = FileIO.status(path), found.size == size else {
                throw ClienteleError(.internal, "Internal server error", internalDetail: "document file size differs from its metadata")
            }
            return file
        }
        let status = range == nil ? HTTPStatus.ok : HTTPStatus(code: 206, reasonPhrase: "Partial Content")
        if let range { headers.replaceOrAdd(name: "Content-Range", value: "bytes \(range.lowerBound)-\(range.upperBound)/\(size)") }
        var response = HTTPResponse(status: status, headers: headers)
        response.streamedBody = HTTPStreamedBody(length: count) { writer in
            var offset = start
            let end = start + count
            while offset < end {
                let want = min(Self.downloadPieceBytes, end - offset)
                let at = offset
                let piece = try await FileIO.offload { try FileIO.read(file.fd, count: want, at: at) }
                guard piece.count == want else {
                    throw ClienteleError(.internal, "Internal server error", internalDetail: "document file shorter than its metadata")
                }
                try await writer.write(piece)
                offset += want
            }
        }
        return response
    }

    static let notFound = ClienteleError(.notFound, "Document not found")

    static func id(_ request: HTTPRequest) throws -> UUID {
        guard let id = request.pathParameters["id"].flatMap(UUID.init(canonical:)) else { throw notFound }
        return id
    }
}
