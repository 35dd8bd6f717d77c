import ClientDomain

/// How large an upload may be, per use, and how many may stream at once.
struct UploadLimits: Sendable {
    /// `DOCUMENT_PASSPORT_MAX_BYTES` (10 MiB).
    var passportMaxBytes: Int
    /// `DOCUMENT_CARE_MAX_BYTES` (25 MiB).
    var careMaxBytes: Int
    /// `DOCUMENT_UPLOADS_IN_FLIGHT` (64): uploads streaming at once; more are 503. Each holds at
    /// most the server's body buffer (`HTTPBodyStream.highWaterMark`) and a 64 KiB chunk.
    var uploadsInFlight: Int

    /// The multipart framing and text fields a body may carry beside its file: a declared
    /// `Content-Length` over the cap plus this is refused before any byte is read.
    static let framingAllowance = 64 * 1024
    /// The longest text field (`clientId`, `documentType`) and how many such fields a body may have.
    static let maxFieldBytes = 1024

    func maxBytes(for use: DocumentUse) -> Int {
        switch use {
        case .passport: passportMaxBytes
        case .care: careMaxBytes
        }
    }
}
