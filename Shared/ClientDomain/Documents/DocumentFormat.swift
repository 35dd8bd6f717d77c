/// A file format the document store accepts, decided by the content's magic bytes (its
/// `ContentSniffer`); the gateway's API document lists the media types downloads answer with.
public enum DocumentFormat: String, Sendable, CaseIterable {
    case pdf, jpeg, png, webp, heic, docx, xlsx, text

    /// The media type served with the file (never the one the uploader claimed).
    public var contentType: String {
        switch self {
        case .pdf: "application/pdf"
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .webp: "image/webp"
        case .heic: "image/heic"
        case .docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        case .xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        case .text: "text/plain; charset=utf-8"
        }
    }

    /// The formats each use accepts: passports are scans and photos, care documents also
    /// office files and plain text.
    public static func accepted(for use: DocumentUse) -> Set<DocumentFormat> {
        switch use {
        case .passport: [.jpeg, .png, .webp, .heic, .pdf]
        case .care: [.pdf, .jpeg, .png, .docx, .xlsx, .text]
        }
    }

    /// The format whose media type is `contentType` (what the metadata stores).
    public init?(contentType: String) {
        guard let format = Self.allCases.first(where: { $0.contentType == contentType }) else { return nil }
        self = format
    }
}
