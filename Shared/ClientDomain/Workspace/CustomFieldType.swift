/// The type a workspace gives one of its custom fields (`CustomFieldDefinition.type`).
public enum CustomFieldType: String, Sendable, Equatable, CaseIterable {
    case text, number, boolean, date, select, multiselect

    /// Whether the type takes a list of options (`select`, `multiselect`).
    public var hasOptions: Bool { self == .select || self == .multiselect }

    /// Whether a stored value has the shape this type writes: text for text, date and select;
    /// a number for number; a boolean for boolean; options for multiselect. A value that does
    /// not (its definition was deleted and made again with another type) is answered as text.
    public func fits(_ value: CustomFieldValue) -> Bool {
        switch (self, value) {
        case (.text, .text), (.date, .text), (.select, .text), (.number, .integer), (.number, .decimal),
             (.boolean, .boolean), (.multiselect, .options): true
        default: false
        }
    }
}
