/// One way to reach a client: a type, a value, and whether it is the preferred one.
///
/// A client's contact methods are one list, in the order given; a list that is set holds
/// exactly one preferred method and never the same (type, value) twice
/// (`WorkspaceFieldLimits`). The email and phone every other API shows are derived from it
/// (`ClientProfile+Contacts`).
public struct ContactMethod: Sendable, Equatable, Hashable {
    public var type: ContactType
    public var value: String
    public var isPreferred: Bool

    public init(type: ContactType, value: String, isPreferred: Bool) {
        self.type = type
        self.value = value
        self.isPreferred = isPreferred
    }
}

extension [ContactMethod] {
    /// The index of the method another API's field of `type` stands for: the preferred one of
    /// that type, else the first of that type.
    public func sourceIndex(of type: ContactType) -> Int? {
        firstIndex { $0.type == type && $0.isPreferred } ?? firstIndex { $0.type == type }
    }

    /// The value of `sourceIndex(of: type)`.
    public func sourceValue(of type: ContactType) -> String? {
        sourceIndex(of: type).map { self[$0].value }
    }
}
