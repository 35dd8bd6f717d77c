/// One problem with a client's care sections: the field's path (`personalInfo.email`,
/// `emergencyContacts[0].phone`) and what is wrong, in words that never carry the value.
public struct CareIssue: Sendable, Equatable {
    public var path: String
    public var message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }
}
