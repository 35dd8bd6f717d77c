import JSON

/// A change to a client's care sections: a JSON merge patch (RFC 7396) of them, as the care
/// API's update body gives it. A given object merges field by field, a given array (or any
/// other value) replaces, `null` clears.
///
/// It rides in `ClientProfileChanges.care` (so in `client.profile_changed` events, and a
/// creation's sections in `client.created`'s profile): no event type of its own, so every
/// read model applies it as a profile change. `personalInfo.email` and `phone` in it change
/// the client's `email` and `phone`; `personalInfo.firstName` or `lastName` also set the
/// client's `name` to "first last".
public struct CarePatch: Sendable, Equatable, Hashable {
    public var sections: [String: JSONValue]

    public init(sections: [String: JSONValue]) {
        self.sections = sections
    }

    /// `profile` with this patch applied: its care sections merged, and its email, phone and
    /// name changed as the patch says.
    public func apply(to profile: inout ClientProfile) {
        let before = profile.care ?? CareProfile()
        let merged = before.merging(self)
        profile.care = merged.sections.isEmpty ? nil : merged
        if case .object(let personal)? = sections[CareSchema.personalInfo] {
            for (key, path) in [("email", \ClientProfile.email), ("phone", \ClientProfile.phone)] {
                switch personal[key] {
                case nil: break
                case .string(let text)?: profile[keyPath: path] = text
                default: profile[keyPath: path] = nil
                }
            }
            if personal["firstName"] != nil || personal["lastName"] != nil, let first = merged.firstName, let last = merged.lastName {
                profile.name = first + " " + last
            }
        }
    }

    /// This patch if it changes `profile`, else nil.
    public func effective(against profile: ClientProfile) -> CarePatch? {
        var changed = profile
        apply(to: &changed)
        return changed == profile ? nil : self
    }

    /// RFC 7396's MergePatch(target, patch).
    static func merge(_ target: JSONValue, patch: JSONValue) -> JSONValue {
        guard case .object(let changes) = patch else { return patch }
        var result: [String: JSONValue] = [:]
        if case .object(let object) = target { result = object }
        for (key, value) in changes {
            if value == .null {
                result[key] = nil
            } else {
                result[key] = merge(result[key] ?? .null, patch: value)
            }
        }
        return .object(result)
    }
}
