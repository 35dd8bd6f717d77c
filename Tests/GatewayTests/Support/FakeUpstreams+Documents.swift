import ClientDomain
import Crypto
import Errors
import Foundation
import HTTP
import InternalAPI
import Synchronization

/// The document store's internal routes (`InternalPaths.documents` and below), faked like the
/// other services: every file holds `fileContent`; an upload is read and parsed as the store
/// parses it (a malformed body, a missing, repeated or non-file part, a missing or overlong
/// field are 400) and kept until claimed; the client's documents and the uploads are the
/// documents it knows. A chosen failure is answered where the store can give it
/// (`documentFailures`), an upload's before its body is read, as the store refuses a
/// declared length or a full upload queue.
extension FakeUpstreams {
    /// The bytes of every fake file.
    static let fileContent = Array("%PDF-1.7\n% the contract tests' file\n".utf8)

    /// A document of the client holding `fileContent`.
    static func document(_ use: DocumentUse, _ type: CareDocumentType? = nil, name: String, contentType: String) -> DocumentReference {
        DocumentReference(id: UUID(), use: use, documentType: type, name: name, contentType: contentType,
                          size: Int64(fileContent.count), sha256: Hex.encode(SHA256.hash(fileContent)),
                          uploadedAt: Date(timeIntervalSince1970: 1_700_000_050))
    }

    /// What the store's routes can answer besides success, by route.
    enum DocumentRoute {
        case upload, claim, read, content, delete
    }

    static func documentFailures(_ route: DocumentRoute) -> [ClienteleError] {
        let internalError = ClienteleError(.internal, "Internal server error")
        let common = [ClienteleError(.unavailable, "Service temporarily unavailable"), internalError]
        switch route {
        case .upload:
            return [ClienteleError(.invalidArgument, "Malformed multipart body"),
                    ClienteleError(.payloadTooLarge, "The file is larger than 10485760 bytes", context: ["limit": "10485760"]),
                    ClienteleError(.unsupportedMediaType, "The file's content is not an accepted type (pdf, png)"),
                    ClienteleError(.unavailable, "Too many uploads in progress; retry shortly"), internalError]
        case .claim, .read, .content:
            return common + [ClienteleError(.notFound, "Document not found")]
        case .delete:
            return common
        }
    }

    /// The uploads received and not yet deleted, by id.
    final class Uploads: Sendable {
        let documents = Mutex<[UUID: DocumentReference]>([:])
    }

    static func registerDocumentStore(_ answers: Answers, on router: Router) {
        let uploads = Uploads()
        let client = answers.client
        @Sendable func known(_ request: HTTPRequest) -> StoredDocument? {
            guard let id = request.pathParameters["id"].flatMap(UUID.init(canonical:)) else { return nil }
            if let document = client.documents.first(where: { $0.id == id }) {
                return StoredDocument(reference: document, tenantId: client.tenantId, clientId: client.id)
            }
            return uploads.documents.withLock { $0[id] }.map { StoredDocument(reference: $0) }
        }
        @Sendable func fail(_ route: DocumentRoute) throws {
            if let failure = answers.failure(.documents, among: documentFailures(route)) { throw failure }
        }
        let notFound = ClienteleError(.notFound, "Document not found")

        router.post(InternalPaths.documents, options: RouteOptions(maxBodyBytes: 1 << 30, streamsBody: true)) { request in
            try fail(.upload)
            let use = request.queryParameter("use").flatMap(DocumentUse.init(rawValue:)) ?? .care
            let field = request.queryParameter("field") ?? ""
            let wanted = (request.queryParameter("fields") ?? "").split(separator: ",").map(String.init)
            let received = try await receive(request, file: field, fields: wanted)
            let document = DocumentReference(id: UUID(), use: use, name: DocumentName.sanitised(received.filename, fallback: "document"),
                                             contentType: "application/pdf", size: Int64(received.size),
                                             sha256: Hex.encode(SHA256.hash(fileContent)), uploadedAt: Date())
            uploads.documents.withLock { $0[document.id] = document }
            return .json(status: .created, object: DocumentUploadResult(document: document, fields: received.fields).json)
        }
        router.get(InternalPaths.documents + "/:id") { request in
            try fail(.read)
            guard let stored = known(request) else { throw notFound }
            return .json(status: .ok, object: stored.json)
        }
        router.post(InternalPaths.documents + "/:id/claim") { request in
            try fail(.claim)
            let claim = try JSONParser.parse(try await request.body.collect(upTo: 4096))
            guard let stored = known(request), case .string(let tenant)? = claim["tenantId"], case .string(let owner)? = claim["clientId"],
                  let tenantId = UUID(canonical: tenant), let clientId = UUID(canonical: owner) else { throw notFound }
            var reference = stored.reference
            if case .string(let type)? = claim["documentType"] { reference.documentType = CareDocumentType(rawValue: type) }
            return .json(status: .ok, object: StoredDocument(reference: reference, tenantId: tenantId, clientId: clientId).json)
        }
        router.get(InternalPaths.documents + "/:id/content") { request in
            try fail(.content)
            guard let stored = known(request) else { throw notFound }
            return content(stored.reference, range: request.headers["Range"], ifNoneMatch: request.headers["If-None-Match"])
        }
        router.delete(InternalPaths.documents + "/:id") { request in
            try fail(.delete)
            let id = request.pathParameters["id"].flatMap(UUID.init(canonical:))
            let deleted = uploads.documents.withLock { documents in id.flatMap { documents.removeValue(forKey: $0) } }
            return .json(status: .ok, object: ["deleted": .int(deleted == nil ? 0 : 1)])
        }
        router.delete(InternalPaths.documents) { _ in
            try fail(.delete)
            return .json(status: .ok, object: ["deleted": 0])
        }
        router.post(InternalPaths.documentErasures) { _ in
            try fail(.delete)
            return .json(status: .ok, object: ["documents": 0, "files": 0])
        }
    }

    /// What an upload's body held: the file part's name and size, and the text fields asked for.
    struct ReceivedUpload {
        var filename: String?
        var size = 0
        var fields: [String: String] = [:]
    }

    /// Reads a multipart body as the store does, with its 400s: malformed, no `file` part or
    /// two, a `file` part that is not a file, a field asked for missing, repeated, longer than
    /// 1 KiB or not UTF-8.
    static func receive(_ request: HTTPRequest, file: String, fields wanted: [String]) async throws -> ReceivedUpload {
        func invalid(_ message: String) -> ClienteleError { ClienteleError(.invalidArgument, message) }
        guard let boundary = request.headers["Content-Type"].flatMap(MultipartParser.boundary(fromContentType:)) else {
            throw invalid("The body must be multipart/form-data with a boundary")
        }
        var parser = MultipartParser(boundary: boundary)
        var received = ReceivedUpload()
        var sawFile = false
        var current: (name: String, value: [UInt8])?
        var inFile = false
        for try await chunk in request.body {
            let events: [MultipartEvent]
            do { events = try parser.feed(chunk) } catch { throw invalid("Malformed multipart body") }
            for event in events {
                switch event {
                case .partBegin(let head):
                    if head.name == file {
                        guard !sawFile else { throw invalid("Only one \(file) file may be sent") }
                        guard head.filename != nil else { throw invalid("\(file) must be a file") }
                        sawFile = true
                        inFile = true
                        received.filename = head.filename
                    } else if let name = head.name, head.filename == nil, wanted.contains(name) {
                        guard received.fields[name] == nil else { throw invalid("\(name) is sent twice") }
                        current = (name, [])
                    }
                case .partData(let bytes):
                    if inFile { received.size += bytes.count }
                    if var field = current {
                        field.value += bytes
                        guard field.value.count <= 1024 else { throw invalid("\(field.name) is too long") }
                        current = field
                    }
                case .partEnd:
                    if let field = current {
                        guard let text = String(validating: field.value, as: UTF8.self) else {
                            throw invalid("\(field.name) must be UTF-8 text")
                        }
                        received.fields[field.name] = text
                    }
                    current = nil
                    inFile = false
                case .end:
                    break
                }
            }
        }
        do { try parser.finish() } catch { throw invalid("Malformed multipart body") }
        guard sawFile else { throw invalid("\(file) is required") }
        for name in wanted where received.fields[name] == nil { throw invalid("\(name) is required") }
        return received
    }

    /// The store's answer to a download of `document`: 304 for its ETag, one `bytes=` range
    /// (206, or 416 past the end), else the whole file.
    static func content(_ document: DocumentReference, range: String?, ifNoneMatch: String?) -> HTTPResponse {
        let etag = "\"\(document.sha256)\""
        var headers: HTTPHeaders = ["ETag": etag, "Accept-Ranges": "bytes", "Content-Type": document.contentType]
        if ifNoneMatch == etag || ifNoneMatch == "*" {
            return HTTPResponse(status: HTTPStatus(code: 304, reasonPhrase: "Not Modified"), headers: headers)
        }
        let size = fileContent.count
        if let range, range.hasPrefix("bytes="), !range.contains(",") {
            let bounds = range.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false)
            if bounds.count == 2, let first = Int(bounds[0]), first >= 0 {
                guard first < size else {
                    headers.replaceOrAdd(name: "Content-Range", value: "bytes */\(size)")
                    var response = HTTPResponse(error: ClienteleError(.invalidArgument, "The range is outside the file"))
                    response.status = HTTPStatus(code: 416, reasonPhrase: "Range Not Satisfiable")
                    for field in headers { response.headers.replaceOrAdd(name: field.name, value: field.value) }
                    return response
                }
                let last = min(size - 1, bounds[1].isEmpty ? size - 1 : Int(bounds[1]) ?? size - 1)
                if last >= first {
                    headers.replaceOrAdd(name: "Content-Range", value: "bytes \(first)-\(last)/\(size)")
                    return HTTPResponse(status: HTTPStatus(code: 206, reasonPhrase: "Partial Content"), headers: headers,
                                        body: Array(fileContent[first...last]))
                }
            }
        }
        return HTTPResponse(status: .ok, headers: headers, body: fileContent)
    }
}
