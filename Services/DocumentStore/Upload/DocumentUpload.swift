import ClientDomain
import Crypto
import Errors
import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// Receives one streamed `multipart/form-data` upload: the file part goes to a temporary
/// file as it arrives, hashed and sniffed on the way, and becomes a document only when the
/// whole body was read and every check passed.
///
/// Refusals, each before anything is stored (the temporary file is removed): 413 as soon as
/// the declared `Content-Length` or the file's streamed size passes the use's cap (or the
/// whole body passes the cap plus `UploadLimits.framingAllowance`, whatever its parts); 415 as
/// soon as the first bytes rule out every accepted format (else when the end shows it is
/// none of them: an office file's central directory, text's last character); 400 for a
/// malformed body, a missing file part or a missing field. File names are sanitised
/// (`DocumentName`) and never logged.
///
/// Each accepted upload's three phases are timed into `phaseSeconds` (`phase` = `receive`:
/// its body read, parsed, hashed and written as it arrived; `commit`: the file fsynced,
/// renamed and its directory fsynced; `metadata`: its row committed), so an operator sees
/// what a slow volume costs (the commit) apart from slow clients (the receive).
struct DocumentUpload: Sendable {
    let store: ContentStore
    let metadata: DocumentMetadata
    let limits: UploadLimits
    /// `clientele_document_upload_phase_seconds` (see `phaseHistogram`).
    let phaseSeconds: Histogram
    /// Fault tests only (`DOCUMENT_FAULT_PAUSE_AFTER_RENAME_MS`): a pause between the rename and
    /// the metadata commit, so a test can kill the process there.
    var pauseAfterRename: Duration = .zero

    /// What the query asks: the use, the file part's name and the text fields to return.
    struct Parameters: Equatable {
        var use: DocumentUse
        var field: String
        var fields: [String]

        init(_ request: HTTPRequest) throws {
            guard let use = request.queryParameter("use").flatMap(DocumentUse.init(rawValue:)) else {
                throw ClienteleError(.invalidArgument, "use must be passport or care", context: ["field": "use"])
            }
            guard let field = request.queryParameter("field"), !field.isEmpty, field.utf8.count <= 100 else {
                throw ClienteleError(.invalidArgument, "field must name the file part", context: ["field": "field"])
            }
            let fields = (request.queryParameter("fields") ?? "").split(separator: ",").map(String.init)
            guard fields.count <= 10, fields.allSatisfy({ $0.utf8.count <= 100 }) else {
                throw ClienteleError(.invalidArgument, "fields names at most 10 text fields", context: ["field": "fields"])
            }
            self.use = use
            self.field = field
            self.fields = fields
        }
    }

    private enum Part {
        case none
        case file
        case field(String, [UInt8])
        case skipped
    }

    /// The phase histogram on `metrics`: from 5 ms (a small file on a fast volume) to two
    /// minutes (a 25 MB file from a slow client).
    static func phaseHistogram(on metrics: MetricsRegistry) -> Histogram {
        metrics.histogram("clientele_document_upload_phase_seconds",
                          help: "Accepted uploads' phases: receive (body read, hashed, written), commit (fsync, rename), metadata (row)",
                          labels: ["phase"], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120])
    }

    func receive(_ request: HTTPRequest) async throws -> DocumentUploadResult {
        let started = ContinuousClock.now
        let parameters = try Parameters(request)
        let cap = limits.maxBytes(for: parameters.use)
        guard let contentType = request.headers["Content-Type"],
              let boundary = MultipartParser.boundary(fromContentType: contentType) else {
            throw ClienteleError(.invalidArgument, "The body must be multipart/form-data with a boundary")
        }
        if let declared = request.headers["Content-Length"].flatMap(Int.init), declared > cap + UploadLimits.framingAllowance {
            throw Self.tooLarge(cap)
        }
        let accepted = DocumentFormat.accepted(for: parameters.use)
        var parser = MultipartParser(boundary: boundary)
        var staged: StagedFile?
        var committed = false
        defer { if !committed { staged?.discard() } }
        let hasher = SHA256Hasher()
        var sniffer = ContentSniffer()
        var size = 0
        var part = Part.none
        var name: String?
        var fileComplete = false
        var fields: [String: String] = [:]

        var bodyBytes = 0
        for try await chunk in request.body {
            // The whole body too (other parts are read and dropped): at most the cap plus framing.
            bodyBytes += chunk.count
            guard bodyBytes <= cap + UploadLimits.framingAllowance else { throw Self.tooLarge(cap) }
            let events: [MultipartEvent]
            do {
                events = try parser.feed(chunk)
            } catch {
                throw ClienteleError(.invalidArgument, "Malformed multipart body")
            }
            for event in events {
                switch event {
                case .partBegin(let head):
                    if head.name == parameters.field {
                        guard staged == nil else {
                            throw ClienteleError(.invalidArgument, "Only one \(parameters.field) file may be sent",
                                                 context: ["field": parameters.field])
                        }
                        guard head.filename != nil else {
                            throw ClienteleError(.invalidArgument, "\(parameters.field) must be a file", context: ["field": parameters.field])
                        }
                        staged = try store.stage()
                        name = DocumentName.sanitised(head.filename, fallback: parameters.use == .passport ? "passport" : "document")
                        part = .file
                    } else if let fieldName = head.name, head.filename == nil, parameters.fields.contains(fieldName) {
                        guard fields[fieldName] == nil else {
                            throw ClienteleError(.invalidArgument, "\(fieldName) is sent twice", context: ["field": fieldName])
                        }
                        part = .field(fieldName, [])
                    } else {
                        part = .skipped
                    }
                case .partData(let bytes):
                    switch part {
                    case .file:
                        size += bytes.count
                        guard size <= cap else { throw Self.tooLarge(cap) }
                        try bytes.withUnsafeBytes { raw in
                            sniffer.feed(raw)
                            hasher.update(raw)
                            try staged?.write(raw)
                        }
                        guard sniffer.couldStillBe(any: accepted) else { throw Self.wrongType(parameters.use) }
                    case .field(let fieldName, var value):
                        value.append(contentsOf: bytes)
                        guard value.count <= UploadLimits.maxFieldBytes else {
                            throw ClienteleError(.invalidArgument, "\(fieldName) is too long", context: ["field": fieldName])
                        }
                        part = .field(fieldName, value)
                    case .none, .skipped:
                        break
                    }
                case .partEnd:
                    if case .field(let fieldName, let value) = part {
                        guard let text = String(validating: value, as: UTF8.self) else {
                            throw ClienteleError(.invalidArgument, "\(fieldName) must be UTF-8 text", context: ["field": fieldName])
                        }
                        fields[fieldName] = text
                    }
                    if case .file = part { fileComplete = true }
                    part = .none
                case .end:
                    break
                }
            }
        }
        do {
            try parser.finish()
        } catch {
            throw ClienteleError(.invalidArgument, "Malformed multipart body")
        }
        guard let file = staged, fileComplete, let name else {
            throw ClienteleError(.invalidArgument, "\(parameters.field) is required", context: ["field": parameters.field])
        }
        for wanted in parameters.fields where fields[wanted] == nil {
            throw ClienteleError(.invalidArgument, "\(wanted) is required", context: ["field": wanted])
        }
        let format = sniffer.verdict(among: accepted) { ZipEntryNames.read(fd: file.fd, size: size) }
        guard let format else { throw Self.wrongType(parameters.use) }
        let sha256 = Hex.encode(hasher.finish())
        let store = self.store
        let received = ContinuousClock.now
        try await FileIO.offload { try store.commit(file, sha256: sha256) }
        let renamed = ContinuousClock.now
        committed = true
        defer { store.release(sha256) }
        if pauseAfterRename > .zero { try await Task.sleep(for: pauseAfterRename) }
        let inserting = ContinuousClock.now
        let document = DocumentReference(id: UUID(), use: parameters.use, name: name, contentType: format.contentType,
                                         size: Int64(size), sha256: sha256, uploadedAt: Self.now())
        try await metadata.insert(document)
        phaseSeconds.observe((received - started).inSeconds, "receive")
        phaseSeconds.observe((renamed - received).inSeconds, "commit")
        phaseSeconds.observe((ContinuousClock.now - inserting).inSeconds, "metadata")
        return DocumentUploadResult(document: document, fields: fields)
    }

    /// Now, to the millisecond (the precision events and the APIs carry).
    static func now() -> Date {
        Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }

    static func tooLarge(_ cap: Int) -> ClienteleError {
        ClienteleError(.payloadTooLarge, "The file is larger than \(cap) bytes", context: ["limit": String(cap)])
    }

    static func wrongType(_ use: DocumentUse) -> ClienteleError {
        let names = DocumentFormat.accepted(for: use).map(\.rawValue).sorted().joined(separator: ", ")
        return ClienteleError(.unsupportedMediaType, "The file's content is not an accepted type (\(names))")
    }
}
