import Crypto
import Foundation
import HTTP
import InternalAPI

/// The organization API's write preconditions: `If-Match` and `Idempotency-Key`.
enum OrganizationWriteHeaders {
    static let maxIdempotencyKeyLength = 255

    /// What `If-Match` asks for.
    enum Precondition: Equatable {
        /// No header, or `*`: the client must merely exist.
        case none
        /// The client must be at this version.
        case version(Int64)
        /// A value no version can match (malformed or not ours): the answer is 412.
        case unsatisfiable
    }

    /// Reads `If-Match`: one entity tag `"N"` (or weak `W/"N"`), or `*`.
    static func precondition(_ request: HTTPRequest) -> Precondition {
        guard let raw = request.headers["If-Match"] else { return .none }
        let value = raw.trimmingCharacters(in: .whitespaces)
        if value == "*" { return .none }
        var tag = Substring(value)
        if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
        guard tag.count >= 3, tag.count <= 22, tag.hasPrefix("\""), tag.hasSuffix("\""),
              let version = Int64(tag.dropFirst().dropLast()), version > 0 else { return .unsatisfiable }
        return .version(version)
    }

    /// The idempotency token for a write by API key `keyId`, if the request has
    /// `Idempotency-Key`; a `ValidationFailure` for a malformed key.
    ///
    /// The scope is the key's id, so two keys' idempotency keys never meet; the request hash
    /// is the SHA-256 of method, path and body, so the same key with another body is refused.
    static func idempotency(_ request: HTTPRequest, body: [UInt8], keyId: UUID) throws -> IdempotencyToken? {
        try idempotency(request, body: body, scope: "api_key:\(keyId.lowercasedString)")
    }

    /// The same for a caller named by `scope` (the workspace API: `user:<id>`).
    static func idempotency(_ request: HTTPRequest, body: [UInt8], scope: String) throws -> IdempotencyToken? {
        guard let key = request.headers["Idempotency-Key"] else { return nil }
        guard !key.isEmpty, key.utf8.count <= maxIdempotencyKeyLength, APIText.isVisibleASCII(key) else {
            throw ValidationFailure(field: "Idempotency-Key",
                                    "must be 1 to \(maxIdempotencyKeyLength) printable ASCII characters without spaces")
        }
        return IdempotencyToken(scope: scope, key: key,
                                requestHash: requestHash(method: request.method.rawValue, path: request.path, body: body))
    }

    /// Hex SHA-256 of `method`, a space, `path`, a newline and the body.
    static func requestHash(method: String, path: String, body: [UInt8]) -> String {
        Hex.encode(SHA256.hash(Array("\(method) \(path)\n".utf8) + body))
    }
}
