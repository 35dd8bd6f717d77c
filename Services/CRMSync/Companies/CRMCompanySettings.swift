import CRM
import Foundation

/// A company's CRM sync configuration as the service uses it: the token opened.
struct CRMCompanySettings: Sendable {
    var tenantId: UUID
    var enabled: Bool
    var baseURL: CRMBaseURL
    /// nil when none is stored or it no longer opens (another `CRM_SECRET_KEY`).
    var accessToken: String?
}

/// A company's configuration as answered to the admin: never the token, only whether one is set.
struct CRMCompanyView: Sendable, Equatable {
    var enabled: Bool
    var baseURL: String
    var hasAccessToken: Bool
}
