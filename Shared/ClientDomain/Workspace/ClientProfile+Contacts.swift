/// One client, many faces: how the email and phone every other API shows relate to the
/// contact methods the workspace API shows.
///
/// 1. A client whose contact methods were never set (created through another API) shows
///    them derived from its email and phone: the email, then the phone, the first of them
///    preferred (`contactMethods`).
/// 2. Once the contact methods are set (the workspace API sets them on create, and a PATCH
///    replaces them), the email other APIs show is the value of the preferred email method,
///    else of the first email method, else none; the phone likewise from the phone methods
///    (WhatsApp numbers are not phones). The decider writes these into `email` and `phone`
///    in the same event, so every read model and face agrees.
/// 3. Another API changing the email (or phone) of a client with contact methods changes
///    the method it comes from (rule 2's), and removes any other method of that type holding
///    the new value; with no method of that type, it appends one (preferred only when it is
///    the only method). Clearing it, or setting it blank, removes every method of that type;
///    if the preferred one went, the first remaining becomes preferred.
extension ClientProfile {
    /// The contact methods the workspace API shows (rule 1 for a client without any set).
    public var contactMethods: [ContactMethod] {
        if let methods = workspace?.contactMethods { return methods }
        var derived: [ContactMethod] = []
        if let email, !TextLimit.isBlank(email) { derived.append(ContactMethod(type: .email, value: email, isPreferred: true)) }
        if let phone, !TextLimit.isBlank(phone) {
            derived.append(ContactMethod(type: .phone, value: phone, isPreferred: derived.isEmpty))
        }
        return derived
    }

    /// This profile with `email` and `phone` derived from its contact methods when it has
    /// them (rule 2): the profile a create stores.
    public func reconcilingContacts() -> ClientProfile {
        guard let methods = workspace?.contactMethods else { return self }
        var copy = self
        copy.email = methods.sourceValue(of: .email)
        copy.phone = methods.sourceValue(of: .phone)
        return copy
    }
}

extension ClientProfileChanges {
    /// These changes made to agree with the contact methods, for a client now at `current`:
    /// new contact methods set `email` and `phone` (rule 2); a changed `email` or `phone`
    /// changes the client's contact methods, when it has them (rule 3).
    public func reconcilingContacts(with current: ClientProfile) -> ClientProfileChanges {
        var changes = self
        if let methods = workspace?.contactMethods {
            changes.email = methods.sourceValue(of: .email).map { .set($0) } ?? .cleared
            changes.phone = methods.sourceValue(of: .phone).map { .set($0) } ?? .cleared
            return changes
        }
        guard let methods = current.workspace?.contactMethods, email != .unchanged || phone != .unchanged else { return self }
        var updated = methods
        Self.follow(email, of: .email, in: &updated)
        Self.follow(phone, of: .phone, in: &updated)
        if updated != methods {
            var workspace = changes.workspace ?? WorkspaceFieldChanges()
            workspace.contactMethods = updated
            changes.workspace = workspace
        }
        return changes
    }

    /// Rule 3 for one field's change.
    static func follow(_ change: FieldChange<String>, of type: ContactType, in methods: inout [ContactMethod]) {
        switch change {
        case .unchanged:
            return
        case .set(let value) where !TextLimit.isBlank(value):
            guard let source = methods.sourceIndex(of: type) else {
                methods.append(ContactMethod(type: type, value: value, isPreferred: methods.isEmpty))
                return
            }
            methods[source].value = value
            methods = methods.enumerated().filter { index, method in
                index == source || method.type != type || Array(method.value.utf8) != Array(value.utf8)
            }.map(\.element)
        case .set, .cleared:
            let losesPreferred = methods.contains { $0.type == type && $0.isPreferred }
            methods.removeAll { $0.type == type }
            if losesPreferred, !methods.isEmpty { methods[0].isPreferred = true }
        }
    }
}
