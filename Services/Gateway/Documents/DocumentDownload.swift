import ClientDomain
import Foundation
import HTTP

/// A document's bytes as the public APIs serve them: always an attachment under its sanitised
/// name, never sniffed by the browser, typed by the store's content sniffing, with the SHA-256
/// as `ETag`; `Range` (206) and `If-None-Match` (304) answered by the document store.
///
/// The bytes stream from the store to the caller as the caller takes them, never held whole:
/// the answer keeps the store's `Content-Length`, and each piece is read from the store only
/// once the caller's connection has room for it (`HTTPStreamedBody`'s backpressure), so a
/// download costs the gateway a piece or two (at most 256 KiB each) whatever the file's size.
/// A store that fails mid-body ends the caller's connection short of its `Content-Length`.
///
/// Downloads go through the gateway (`url` is a gateway path), so each one is authorized like
/// the client the document belongs to, at that moment: a revoked role, a removed document or
/// a deleted client stops the next download at once, which a signed URL valid for minutes
/// would not, and no signing key has to be shared with the store.
enum DocumentDownload {
    /// The care API's download path of a document (its `url`).
    static func carePath(_ id: UUID) -> String { "/api/document/file/\(id.lowercasedString)" }

    /// The public answer to the store's `upstream` answer (200, 206, 304 or 416). A 416 is an
    /// error of the API that serves the download, `render`ed in its envelope, with the
    /// store's `Content-Range: bytes */<size>`.
    static func response(_ upstream: HTTPClientStreamedResponse, document: DocumentReference,
                         rendering render: (any Error) -> HTTPResponse) async throws -> HTTPResponse {
        guard [200, 206].contains(upstream.status.code) else {
            // 304 and 416 carry nothing the caller gets (the 416's text is the API's own).
            _ = try await upstream.body.collect()
            return head(upstream.status, upstream.headers, document: document, rendering: render)
        }
        var response = head(upstream.status, upstream.headers, document: document, rendering: render)
        let body = upstream.body
        let length = upstream.headers["Content-Length"].flatMap(Int.init).flatMap { $0 >= 0 ? $0 : nil }
        response.streamedBody = HTTPStreamedBody(length: length) { writer in
            defer { body.close() }
            for try await piece in body { try await writer.write(piece) }
        }
        return response
    }

    /// The public answer's status and headers (its whole answer but for a 200's or 206's body)
    /// from the store's `status` and `upstreamHeaders`.
    static func head(_ status: HTTPStatus, _ upstreamHeaders: HTTPHeaders, document: DocumentReference,
                     rendering render: (any Error) -> HTTPResponse) -> HTTPResponse {
        if status.code == 416 {
            var response = render(HTTPError(status: HTTPStatus(code: 416, reasonPhrase: "Range Not Satisfiable"),
                                            message: "The range is outside the file"))
            if let range = upstreamHeaders["Content-Range"] { response.headers.replaceOrAdd(name: "Content-Range", value: range) }
            return response
        }
        var headers = HTTPHeaders()
        for name in ["Content-Type", "Content-Range", "ETag", "Accept-Ranges"] {
            if let value = upstreamHeaders[name] { headers.replaceOrAdd(name: name, value: value) }
        }
        headers.replaceOrAdd(name: "Content-Disposition", value: contentDisposition(document.name))
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        headers.replaceOrAdd(name: "Cache-Control", value: "private, no-cache")
        return HTTPResponse(status: status, headers: headers)
    }

    /// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266).
    static func contentDisposition(_ name: String) -> String {
        let fallback = String(name.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && scalar.value >= 0x20 && scalar != "\"" && scalar != "\\" && scalar != "%" ? Character(scalar) : "_"
        })
        var encoded = ""
        for byte in name.utf8 {
            let unreserved = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || [UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~")].contains(byte)
            encoded += unreserved ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
        }
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)"
    }
}
