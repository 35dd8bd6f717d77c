import ClientDomain
import HTTP

/// Documents: the leads API's passport (`LeadsClientsAPI`) and the care API's client
/// documents (`CareDocumentsAPI`), both streamed to and from the document store.
///
/// Each answers in its API's error envelope (`LeadsError`, `CareError`), the document store's
/// refusals included (400 malformed body or missing part, 413, 415, 503 when too many uploads
/// or downloads are in flight). The one exception is the HTTP layer's 413 for a body declared
/// larger than the gateway forwards at all (`DocumentAttachments.maxForwardedBodyBytes`),
/// answered before the operation in its own envelope (`ServiceError`).
extension OpenAPIDocument {
    static var documentOperations: [OpenAPIOperation] {
        let leads = LeadsClientsAPI.path
        let care = CareDocumentsAPI.path
        let leadsError = schemaRef("LeadsError")
        let careError = schemaRef("CareError")
        let range = parameter("Range", in: "header", ["type": "string"],
                              "One `bytes=` range (206, or 416 when it starts past the end); several ranges, or a malformed "
                                  + "one, are served whole")
        let ifNoneMatch = parameter("If-None-Match", in: "header", ["type": "string"],
                                    "The file's `ETag` (or `*`): 304 without the bytes")
        /// The answers of a download of `use`'s files, with `error` the API's error body.
        func download(_ use: DocumentUse, _ error: JSONValue) -> [Int: OpenAPIResponse] {
            let types = mediaTypes(use)
            let etag: JSONValue = ["description": "The file's SHA-256, quoted", "schema": ["type": "string", "pattern": "^\"[0-9a-f]{64}\"$"]]
            let file: [String: JSONValue] = [
                "ETag": etag,
                "Content-Disposition": ["description": .string("`attachment` under the sanitised name (RFC 6266: an ASCII "
                                                               + "`filename` and `filename*=UTF-8''…`)"),
                                        "schema": ["type": "string", "pattern": "^attachment; "]],
                "X-Content-Type-Options": ["description": "Always `nosniff`", "schema": ["const": "nosniff"]],
            ]
            let binary: JSONValue = ["type": "string", "format": "binary"]
            return [
                200: OpenAPIResponse("The file, typed as sniffed from its content when it was uploaded", binary, contentTypes: types,
                                     headers: file),
                206: OpenAPIResponse("The one `Range` asked for", binary, contentTypes: types, headers: file.merging([
                    "Content-Range": ["description": "`bytes <first>-<last>/<size>`", "schema": ["type": "string"]],
                ]) { first, _ in first }),
                304: OpenAPIResponse("`If-None-Match` names the file's `ETag`", headers: ["ETag": etag]),
                416: OpenAPIResponse("The `Range` starts past the end of the file", error, headers: [
                    "Content-Range": ["description": "`bytes */<size>`", "schema": ["type": "string"]],
                ]),
            ]
        }
        /// A multipart body with `file` and the text `fields`, all required. Other parts are read
        /// and ignored; a part's name is in its header, so it holds no control character but tab.
        func upload(_ file: String, fields: [String: JSONValue] = [:]) -> JSONValue {
            ["type": "object", "required": .array(([file] + fields.keys.sorted()).map { .string($0) }),
             "properties": .object(fields.merging([file: ["type": "string", "format": "binary",
                                                          "description": "The file; its part's `filename` names it"]]) { first, _ in first }),
             "propertyNames": ["pattern": .string("^" + characterClass([0x00...0x08, 0x0A...0x1F, 0x7F...0x7F], negated: true) + "*$")],
             "description": "`multipart/form-data`, at most 100 parts; other parts are read and ignored"]
        }
        /// The encoding of `file`'s part: the media types its content may be (decided by the
        /// bytes; the part's own `Content-Type` is not read).
        func accepted(_ use: DocumentUse, file: String) -> [String: JSONValue] {
            [file: ["contentType": .string(mediaTypes(use).joined(separator: ", "))]]
        }
        let forwarded = "\(DocumentAttachments.maxForwardedBodyBytes >> 30) GiB"
        func uploadRefusals(_ error: JSONValue, cap: String, types: String, conflicts: String) -> [Int: OpenAPIResponse] {
            [
                413: OpenAPIResponse("The file passes the \(cap) cap: from the declared `Content-Length` (less 64 KiB of framing) "
                                         + "before any byte is read, else as soon as the streamed file does. A body declared "
                                         + "larger than \(forwarded) is refused before the operation, in the HTTP layer's envelope",
                                     ["anyOf": [error, schemaRef("ServiceError")]]),
                415: OpenAPIResponse("The content is none of \(types) (decided by its bytes, never by its name or part type)",
                                     error),
                409: OpenAPIResponse("The upload could not be attached: it was removed meanwhile (send it again)" + conflicts, error),
            ]
        }
        func operation(_ method: HTTPMethod, _ pattern: String, _ id: String, _ summary: String, tag: String,
                       parameters: [JSONValue] = [], body: JSONValue? = nil, encoding: [String: JSONValue] = [:],
                       _ responses: [Int: OpenAPIResponse]) -> OpenAPIOperation {
            let error = tag == "leads" ? leadsError : careError
            return OpenAPIOperation(method: method, pattern: pattern, operationId: id, summary: summary, tag: tag, access: .session,
                                    pathParameters: ["leadId": positiveNumber, "clientId": careClientId, "documentId": uuid],
                                    parameters: parameters, requestBody: body,
                                    maxBodyBytes: body == nil ? nil : DocumentAttachments.maxForwardedBodyBytes, errorSchema: error,
                                    responses: responses, requestContentType: body == nil ? "application/json" : "multipart/form-data",
                                    requestEncoding: encoding)
        }
        let badLead = OpenAPIResponse("A lead id that is not a positive number (`Invalid client ID`)", leadsError)
        let leadForbidden = OpenAPIResponse("The role does not allow this", leadsError)
        let careForbidden = OpenAPIResponse("The role lacks `care.documents`, or the client is one of the caller's companies that "
                                                + "it does not reach: `Unauthorized to access this client` (recorded as a denied read)",
                                            careError)
        return [
            operation(.POST, leads + "/passport/:leadId", "uploadLeadPassport",
                      "Upload or replace a lead's passport: JPEG, PNG, WebP, HEIC or PDF by content, at most 10 MiB by default "
                          + "(admin, sales, finance)", tag: "leads", body: upload("passport"),
                      encoding: accepted(.passport, file: "passport"),
                      [200: OpenAPIResponse("Stored and attached; `path` is where it downloads", schemaRef("PassportUploaded")),
                       400: OpenAPIResponse("Not `multipart/form-data`, malformed, no `passport` file part (or two), or a bad lead id",
                                            leadsError),
                       403: leadForbidden,
                       404: OpenAPIResponse("No such lead in the caller's companies", leadsError)]
                          .merging(uploadRefusals(leadsError, cap: "passport", types: "JPEG, PNG, WebP, HEIC, PDF",
                                         conflicts: ", or it is attached already")) { first, _ in first }),
            operation(.GET, leads + "/passport/:leadId", "downloadLeadPassport",
                      "Download a lead's passport (whoever may read the lead)", tag: "leads", parameters: [range, ifNoneMatch],
                      download(.passport, leadsError).merging([
                          400: badLead, 403: leadForbidden,
                          404: OpenAPIResponse("No such lead in the caller's companies, or it has no passport", leadsError),
                      ]) { first, _ in first }),
            operation(.POST, care + "/upload", "uploadCareDocument",
                      "Upload a client document: PDF, JPEG, PNG, DOCX, XLSX or UTF-8 text by content, at most 25 MiB by default",
                      tag: "care", body: upload("file", fields: [
                          "clientId": careClientId,
                          "documentType": ["enum": .array(CareDocumentType.allCases.map { .string($0.rawValue) })],
                      ]), encoding: accepted(.care, file: "file"),
                      [201: OpenAPIResponse("Stored and attached", schemaRef("CareDocumentEnvelope")),
                       400: OpenAPIResponse("Not `multipart/form-data`, malformed, a missing or repeated part, or a bad `documentType`",
                                            careError),
                       403: careForbidden,
                       404: OpenAPIResponse("No such client in the caller's companies (nothing is kept)", careError)]
                          .merging(uploadRefusals(careError, cap: "care document", types: "PDF, JPEG, PNG, DOCX, XLSX, UTF-8 text",
                                                  conflicts: ", it is attached already, or the client has "
                                                      + "\(DocumentReference.maxCareDocuments) documents already")) { first, _ in first }),
            operation(.GET, care + "/client/:clientId", "listCareDocuments", "A client's documents, newest first", tag: "care",
                      [200: OpenAPIResponse("The documents", schemaRef("CareDocumentList")), 403: careForbidden,
                       404: OpenAPIResponse("No such client in the caller's companies", careError)]),
            operation(.GET, care + "/file/:documentId", "downloadCareDocument", "Download a client document (the list's `url`)",
                      tag: "care", parameters: [range, ifNoneMatch],
                      download(.care, careError).merging([
                          403: careForbidden,
                          404: OpenAPIResponse("No such document attached to a client the caller reaches", careError),
                      ]) { first, _ in first }),
            operation(.DELETE, care + "/file/:documentId", "deleteCareDocument",
                      "Detach a client document; its file goes once nothing names it", tag: "care",
                      [200: OpenAPIResponse("Detached", schemaRef("CareDeleted")), 403: careForbidden,
                       404: OpenAPIResponse("No such document attached to a client the caller reaches", careError)]),
        ]
    }

    /// The media types (without parameters) of the files `use` accepts, as downloads serve them.
    static func mediaTypes(_ use: DocumentUse) -> [String] {
        DocumentFormat.accepted(for: use).map { String($0.contentType.split(separator: ";")[0]) }.sorted()
    }

    /// The care API's client id: the client's number or `client_<number>` (no sign, no
    /// leading zeros, at most 18 digits; `CareClientView.number(fromClientId:)`).
    static let careClientId: JSONValue = ["type": "string", "pattern": "^(client_)?[1-9][0-9]{0,17}$",
                                          "description": "The client's number, or `client_<number>`"]

    static var documentSchemas: [String: JSONValue] {
        let document: JSONValue = [
            "type": "object",
            "required": ["id", "name", "type", "url", "uploadedAt", "documentType", "size", "sha256"],
            "properties": [
                "id": ["type": "string", "format": "uuid"], "name": ["type": "string", "maxLength": 255],
                "type": ["enum": ["pdf", "jpeg", "png", "docx", "xlsx", "txt"]],
                "url": ["type": "string", "description": "The gateway path that downloads it"],
                "uploadedAt": ["type": "string", "format": "date-time"],
                "documentType": ["enum": .array(CareDocumentType.allCases.map { .string($0.rawValue) } + [.null])],
                "size": ["type": "integer", "minimum": 0], "sha256": ["type": "string", "pattern": "^[0-9a-f]{64}$"],
            ],
        ]
        return [
            "PassportUploaded": [
                "type": "object", "required": ["message", "path"],
                "properties": ["message": ["type": "string"], "path": ["type": "string"]],
            ],
            "CareDocument": document,
            "CareDocumentEnvelope": [
                "type": "object", "required": ["success", "data"],
                "properties": ["success": ["const": true], "data": schemaRef("CareDocument"), "message": ["type": "string"]],
            ],
            "CareDocumentList": [
                "type": "object", "required": ["success", "data"],
                "properties": ["success": ["const": true], "data": ["type": "array", "items": schemaRef("CareDocument")]],
            ],
            "CareDeleted": [
                "type": "object", "required": ["success", "message"],
                "properties": ["success": ["const": true], "data": ["type": "null"], "message": ["type": "string"]],
            ],
            "CareError": [
                "type": "object", "required": ["success", "message"],
                "properties": ["success": ["const": false], "message": ["type": "string"]],
            ],
        ]
    }
}
