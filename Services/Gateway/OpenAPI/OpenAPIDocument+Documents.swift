import ClientDomain
import HTTP

/// Documents: the leads API's passport (`LeadsClientsAPI`) and the care API's client
/// documents (`CareDocumentsAPI`), both streamed to and from the document store.
extension OpenAPIDocument {
    static var documentOperations: [OpenAPIOperation] {
        let leads = LeadsClientsAPI.path
        let care = CareDocumentsAPI.path
        let binary = OpenAPIResponse("The file, as an attachment under its sanitised name; `ETag` is its SHA-256, "
                                         + "`X-Content-Type-Options: nosniff`, `Content-Type` as sniffed from the content",
                                     ["type": "string", "format": "binary"], contentType: "application/octet-stream")
        let partial = OpenAPIResponse("The one `Range` asked for (`Content-Range`)", ["type": "string", "format": "binary"],
                                      contentType: "application/octet-stream")
        let notModified = OpenAPIResponse("`If-None-Match` names the file's `ETag`")
        let unsatisfiable = OpenAPIResponse("The `Range` starts past the end (`Content-Range: bytes */size`)")
        let range = parameter("Range", in: "header", ["type": "string"], "One `bytes=` range (others are served whole)")
        let leadsError = schemaRef("LeadsError")
        let careError = schemaRef("CareError")
        func upload(_ field: String, fields: [String: JSONValue], required: [String]) -> JSONValue {
            ["type": "object", "required": .array((required + [field]).map { .string($0) }),
             "properties": .object(fields.merging([field: ["type": "string", "format": "binary"]]) { first, _ in first })]
        }
        return [
            OpenAPIOperation(method: .POST, pattern: leads + "/passport/:id", operationId: "uploadLeadPassport",
                             summary: "Upload or replace a lead's passport: JPEG, PNG, WebP, HEIC or PDF by content, "
                                 + "at most 10 MiB by default (admin, sales, finance)",
                             tag: "leads", access: .session,
                             requestBody: upload("passport", fields: [:], required: []),
                             responses: [
                                200: OpenAPIResponse("`{message: \"Passport uploaded successfully\", path}`",
                                                     schemaRef("PassportUploaded")),
                                400: OpenAPIResponse("Not multipart, or no `passport` file part", leadsError),
                                403: OpenAPIResponse("The role does not allow this", leadsError),
                                404: OpenAPIResponse("No such lead in the caller's companies", leadsError),
                                413: OpenAPIResponse("The file passes the passport cap (declared or streamed)", leadsError),
                                415: OpenAPIResponse("The content is none of the passport types", leadsError),
                             ],
                             requestContentType: "multipart/form-data"),
            OpenAPIOperation(method: .GET, pattern: leads + "/passport/:id", operationId: "downloadLeadPassport",
                             summary: "Download a lead's passport (whoever may read the lead)", tag: "leads", access: .session,
                             parameters: [range],
                             responses: [200: binary, 206: partial, 304: notModified, 416: unsatisfiable,
                                         403: OpenAPIResponse("The role does not allow this", leadsError),
                                         404: OpenAPIResponse("No such lead, or it has no passport", leadsError)]),
            OpenAPIOperation(method: .POST, pattern: care + "/upload", operationId: "uploadCareDocument",
                             summary: "Upload a client document: PDF, JPEG, PNG, DOCX, XLSX or UTF-8 text by content, "
                                 + "at most 25 MiB by default (care.documents: admin and super-admin for now)",
                             tag: "care", access: .session,
                             requestBody: upload("file", fields: [
                                 "clientId": ["type": "string", "description": "The client's number, or `client_<number>`"],
                                 "documentType": ["enum": .array(CareDocumentType.allCases.map { .string($0.rawValue) })],
                             ], required: ["clientId", "documentType"]),
                             responses: [
                                201: OpenAPIResponse("The stored document", schemaRef("CareDocumentEnvelope")),
                                400: OpenAPIResponse("Not multipart, a missing part, or a bad `documentType`", careError),
                                403: OpenAPIResponse("The role does not allow this", careError),
                                404: OpenAPIResponse("No such client in the caller's companies", careError),
                                413: OpenAPIResponse("The file passes the care document cap (declared or streamed)", careError),
                                415: OpenAPIResponse("The content is none of the care document types", careError),
                             ],
                             requestContentType: "multipart/form-data"),
            OpenAPIOperation(method: .GET, pattern: care + "/client/:clientId", operationId: "listCareDocuments",
                             summary: "A client's documents, newest first", tag: "care", access: .session,
                             responses: [200: OpenAPIResponse("`{success, data: [document]}`", schemaRef("CareDocumentList")),
                                         403: OpenAPIResponse("The role does not allow this", careError),
                                         404: OpenAPIResponse("No such client in the caller's companies", careError)]),
            OpenAPIOperation(method: .GET, pattern: care + "/file/:documentId", operationId: "downloadCareDocument",
                             summary: "Download a client document (the `url` of the list)", tag: "care", access: .session,
                             parameters: [range],
                             responses: [200: binary, 206: partial, 304: notModified, 416: unsatisfiable,
                                         403: OpenAPIResponse("The role does not allow this", careError),
                                         404: OpenAPIResponse("No such document of a client the caller reaches", careError)]),
            OpenAPIOperation(method: .DELETE, pattern: care + "/file/:documentId", operationId: "deleteCareDocument",
                             summary: "Detach a client document; its file goes once nothing names it", tag: "care",
                             access: .session,
                             responses: [200: OpenAPIResponse("`{success: true, data: null, message}`", schemaRef("CareDeleted")),
                                         403: OpenAPIResponse("The role does not allow this", careError),
                                         404: OpenAPIResponse("No such document of a client the caller reaches", careError)]),
        ]
    }

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
