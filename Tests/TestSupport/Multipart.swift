import Foundation

/// A `multipart/form-data` body: text fields and files, in order, under a fresh boundary.
public struct Multipart: Sendable {
    public enum Part: Sendable {
        case field(String, String)
        case file(String, String, [UInt8])
    }

    public let boundary = "clientele-\(UUID().uuidString)"
    public var parts: [Part]

    public init(_ parts: [Part]) { self.parts = parts }

    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        for part in parts {
            out += Array("--\(boundary)\r\n".utf8)
            switch part {
            case .field(let name, let value):
                out += Array("Content-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
            case .file(let name, let filename, let data):
                out += Array("Content-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\n".utf8)
                out += Array("Content-Type: application/octet-stream\r\n\r\n".utf8)
                out += data
                out += [13, 10]
            }
        }
        out += Array("--\(boundary)--\r\n".utf8)
        return out
    }
}
