import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI

/// How the care API shows documents and errors: `{success, data}` and `{success: false,
/// message}` as its document writes them.
///
/// A document is `{id, name, type, url, uploadedAt, documentType, size, sha256}`: `type` the
/// format sniffed from the content (`pdf`, `jpeg`, `png`, `docx`, `xlsx`, `txt`), `url` the
/// gateway path that downloads it.
enum CareDocumentsView {
    static func document(_ document: DocumentReference) -> JSONValue {
        .object([
            "id": .string(document.id.lowercasedString),
            "name": .string(document.name),
            "type": .string(typeName(document.contentType)),
            "url": .string(DocumentDownload.carePath(document.id)),
            "uploadedAt": .string(Timestamp.format(document.uploadedAt)),
            "documentType": document.documentType.map { .string($0.rawValue) } ?? .null,
            "size": .int(document.size),
            "sha256": .string(document.sha256),
        ])
    }

    static func ok(_ data: JSONValue, status: HTTPStatus = .ok, message: String? = nil) -> HTTPResponse {
        var object: [String: JSONValue] = ["success": true, "data": data]
        if let message { object["message"] = .string(message) }
        return .json(status: status, object: .object(object))
    }

    static func error(_ error: any Error) -> HTTPResponse {
        let generic = HTTPResponse(error: error)
        let message = (try? JSONParser.parse(generic.body))?["message"].flatMap { value -> String? in
            if case .string(let text) = value { return text }
            return nil
        } ?? "Internal server error"
        var response = HTTPResponse.json(status: generic.status, object: ["success": false, "message": .string(message)])
        for field in generic.headers where field.name.lowercased() != "content-type" && field.name.lowercased() != "content-length" {
            response.headers.replaceOrAdd(name: field.name, value: field.value)
        }
        return response
    }

    /// The short name of a sniffed media type.
    static func typeName(_ contentType: String) -> String {
        switch contentType {
        case "application/pdf": "pdf"
        case "image/jpeg": "jpeg"
        case "image/png": "png"
        case "image/webp": "webp"
        case "image/heic": "heic"
        case "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx"
        case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx"
        default: contentType.hasPrefix("text/plain") ? "txt" : "file"
        }
    }
}
