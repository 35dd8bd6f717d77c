import ClientDomain
import Foundation

/// A value that at most one live stream of a tenant may hold, such as an email.
///
/// The store keeps claims in `unique_claims` and changes them in the same transaction as
/// the events, so two concurrent writers cannot both take one value: the second gets a
/// conflict naming the claim's kind.
public struct UniqueClaim: Sendable, Hashable {
    public var kind: String
    /// The normalized value (emails lower-cased).
    public var value: String

    public init(kind: String, value: String) {
        self.kind = kind
        self.value = value
    }

    /// The claims a client with `profile` holds; none once deleted.
    public static func claims(of profile: ClientProfile?, deleted: Bool = false) -> Set<UniqueClaim> {
        guard let profile, !deleted else { return [] }
        var claims: Set<UniqueClaim> = []
        if let email = profile.email { claims.insert(UniqueClaim(kind: "email", value: email.lowercased())) }
        if let username = profile.username { claims.insert(UniqueClaim(kind: "username", value: username.lowercased())) }
        if let ndisNumber = profile.care?.ndisNumber { claims.insert(UniqueClaim(kind: "ndisNumber", value: ndisNumber)) }
        return claims
    }
}

extension UniqueClaim {
    /// The kind of a health carer's five-minute slot (`CareRecordSchema.carerSlots`): two
    /// appointments of one carer that overlap share a slot, so the second append is refused in
    /// the transaction that would book it, however many book at once.
    public static let carerSlotKind = "carerSlot"

    /// The carer slots `events` move: each appointment event releases the slots of the
    /// appointment as it was in `current` and claims those of the appointment it leaves; a
    /// deletion (or erasure) releases every appointment's. Only the appointments changed are looked at.
    public static func carerSlots(moving events: [ClientEvent], from current: Client?)
        -> (releasing: Set<UniqueClaim>, claiming: Set<UniqueClaim>) {
        var releasing: Set<UniqueClaim> = []
        var claiming: Set<UniqueClaim> = []
        func slots(_ appointment: CareRecord?) -> [UniqueClaim] {
            guard let appointment else { return [] }
            return CareRecordSchema.carerSlots(of: appointment).map { UniqueClaim(kind: carerSlotKind, value: $0) }
        }
        for event in events {
            switch event {
            case .careRecordChanged(let changed) where changed.kind == .appointment:
                releasing.formUnion(slots(current?.careRecords.appointments[changed.record.id]))
                claiming.formUnion(slots(changed.record))
            case .deleted, .erased:
                for appointment in current?.careRecords.appointments.records ?? [] { releasing.formUnion(slots(appointment)) }
            default:
                continue
            }
        }
        return (releasing, claiming)
    }
}
