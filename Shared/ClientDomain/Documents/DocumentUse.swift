/// What a client's document is for; each use has its own accepted types and size cap.
///
/// A client has at most one `passport` (a new one replaces it) and any number of `care`
/// documents up to `DocumentReference.maxCareDocuments`.
public enum DocumentUse: String, Sendable, Equatable, CaseIterable, Codable {
    /// The leads API's passport upload.
    case passport
    /// The care API's client documents.
    case care
}

/// The kinds of care document the care API accepts (`documentType`).
public enum CareDocumentType: String, Sendable, Equatable, CaseIterable, Codable {
    case ndisPlan = "ndis_plan"
    case serviceAgreement = "service_agreement"
    case assessment
    case report
    case consent
    case identification
    case other
}
