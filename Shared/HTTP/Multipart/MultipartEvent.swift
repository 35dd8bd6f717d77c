import Foundation

/// The headers of one multipart part, with the form-data fields pulled out.
public struct MultipartPartHead: Sendable, Equatable {
    public var headers: HTTPHeaders
    /// The `name` parameter of `Content-Disposition`.
    public var name: String?
    /// The `filename` parameter of `Content-Disposition`, for file uploads.
    public var filename: String?
    /// The part's `Content-Type`, if sent.
    public var contentType: String?

    public init(headers: HTTPHeaders, name: String? = nil, filename: String? = nil, contentType: String? = nil) {
        self.headers = headers
        self.name = name
        self.filename = filename
        self.contentType = contentType
    }
}

/// One step of parsing a multipart body.
public enum MultipartEvent: Sendable, Equatable {
    case partBegin(MultipartPartHead)
    /// Some bytes of the current part; a part usually arrives in several events.
    case partData([UInt8])
    case partEnd
    /// The closing delimiter was read; anything after it is ignored.
    case end
}

/// A malformed, truncated or oversized multipart body.
public struct MultipartError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "Malformed multipart body: \(reason)" }
}
