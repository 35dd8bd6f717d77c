/// How a contact method reaches the client (the workspace API's `contactMethods[].type`).
public enum ContactType: String, Sendable, Equatable, Hashable, CaseIterable {
    case whatsapp, phone, email, fax, other

    /// Whether values of this type are phone numbers the workspace API normalises to E.164.
    public var isPhoneNumber: Bool { self == .phone || self == .whatsapp }
}
