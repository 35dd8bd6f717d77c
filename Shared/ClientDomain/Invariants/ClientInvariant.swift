import Errors
import Foundation

/// A rule every client must keep that needs more than the client's own stream to check,
/// such as a unique email within a tenant.
///
/// The command service runs every registered invariant on the profile a command would
/// produce, before appending. Adding a rule is adding a conforming type to
/// `ClientInvariants.standard`.
public protocol ClientInvariant: Sendable {
    /// Throws a `ClienteleError` when `profile`, as client `clientId` of `tenantId`, breaks the rule.
    func check(_ profile: ClientProfile, clientId: UUID, tenantId: UUID, lookup: any ClientLookup) async throws
}

/// Questions invariants ask of the store's current state.
public protocol ClientLookup: Sendable {
    /// The id of the live client of `tenantId` with this email (case-insensitive), if any.
    func clientId(withEmail email: String, tenantId: UUID) async throws -> UUID?
}

/// One email per live client within a tenant, compared without case.
public struct UniqueEmailInvariant: ClientInvariant {
    public init() {}

    public func check(_ profile: ClientProfile, clientId: UUID, tenantId: UUID, lookup: any ClientLookup) async throws {
        guard let email = profile.email else { return }
        if let owner = try await lookup.clientId(withEmail: email, tenantId: tenantId), owner != clientId {
            throw ClienteleError(.conflict, "A client with this email already exists", context: ["field": "email"])
        }
    }
}

/// The invariants the command service enforces.
public enum ClientInvariants {
    public static let standard: [any ClientInvariant] = [UniqueEmailInvariant()]
}
