import ClientDomain
import Foundation
import HTTP
import InternalAPI

extension CareClientsAPI {
    /// The request's `Idempotency-Key` as the command service keeps it; nil without one.
    ///
    /// The organization and workspace APIs' mechanism (`OrganizationWriteHeaders`, the command
    /// service's one store): the key is 1 to 255 printable ASCII characters, hashed with the
    /// method, path and `body`, so the same key with another request is refused (422); kept
    /// `IDEMPOTENCY_RETENTION_HOURS`. Its scope is the caller and the company of the client
    /// written (`care:<company>:user:<user>`): one company's key never replays another
    /// company's answer, nor one user's another's. A malformed key is a validation failure
    /// naming `Idempotency-Key`.
    func idempotency(_ request: HTTPRequest, body: [UInt8], companyId: UUID, _ staff: StaffCaller) throws -> IdempotencyToken? {
        do {
            return try OrganizationWriteHeaders.idempotency(request, body: body, scope: Self.idempotencyScope(companyId, staff))
        } catch let failure as ValidationFailure {
            throw CareValidationFailure(failure.issues.map { CareIssue($0.field, $0.message) })
        }
    }

    static func idempotencyScope(_ companyId: UUID, _ staff: StaffCaller) -> String {
        "care:\(companyId.lowercasedString):user:\(staff.user.id.lowercasedString)"
    }
}
