/// The part of a client's profile the workspace API brought: its contact methods and its
/// custom fields (`ClientProfile.workspace`; the workspace's `avatarUrl` is the profile's
/// `avatar`, which the admin API shows too).
///
/// `contactMethods` nil means the list was never set: the workspace API then shows the list
/// derived from the profile's email and phone (`ClientProfile.contactMethods`). Once set, the
/// list is where every API's email and phone come from (`ClientProfile+Contacts`). Custom
/// fields are by key; the API answers them ordered by key.
public struct WorkspaceFields: Sendable, Equatable {
    public var contactMethods: [ContactMethod]?
    public var customFields: [String: CustomFieldValue]

    public init(contactMethods: [ContactMethod]? = nil, customFields: [String: CustomFieldValue] = [:]) {
        self.contactMethods = contactMethods
        self.customFields = customFields
    }

    /// Whether nothing is set (the profile then holds no `workspace` at all).
    public var isEmpty: Bool { contactMethods == nil && customFields.isEmpty }

    /// These fields with `changes` applied: the contact methods replaced (an empty list
    /// unsets them), custom fields merged by key (a nil value removes its key).
    public func applying(_ changes: WorkspaceFieldChanges) -> WorkspaceFields {
        var copy = self
        if let methods = changes.contactMethods { copy.contactMethods = methods.isEmpty ? nil : methods }
        for (key, value) in changes.customFields { copy.customFields[key] = value }
        return copy
    }
}

/// A partial update of `WorkspaceFields`: the contact methods replaced as a whole (when
/// set; an empty list removes them all), custom fields merged by key (a nil value removes
/// the key).
public struct WorkspaceFieldChanges: Sendable, Equatable {
    public var contactMethods: [ContactMethod]?
    public var customFields: [String: CustomFieldValue?]

    public init(contactMethods: [ContactMethod]? = nil, customFields: [String: CustomFieldValue?] = [:]) {
        self.contactMethods = contactMethods
        self.customFields = customFields
    }

    public var isEmpty: Bool { contactMethods == nil && customFields.isEmpty }

    /// The changes that differ from `current`; nil when none does.
    public func effective(against current: WorkspaceFields?) -> WorkspaceFieldChanges? {
        var changes = WorkspaceFieldChanges()
        if let methods = contactMethods, (methods.isEmpty ? nil : methods) != current?.contactMethods {
            changes.contactMethods = methods
        }
        for (key, value) in customFields where value != current?.customFields[key] {
            changes.customFields[key] = value
        }
        return changes.isEmpty ? nil : changes
    }
}

extension Optional where Wrapped == WorkspaceFieldChanges {
    /// Applies the changes, if any, to `fields`; fields left empty become nil.
    func apply(to fields: inout WorkspaceFields?) {
        guard let changes = self else { return }
        let applied = (fields ?? WorkspaceFields()).applying(changes)
        fields = applied.isEmpty ? nil : applied
    }
}
