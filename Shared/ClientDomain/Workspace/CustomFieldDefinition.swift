import JSON

/// A custom field a workspace (a company) defines for its clients: the key values are
/// stored under, a label, a type, the options of a select or multiselect, and whether a new
/// client must have it.
///
/// Definitions are company configuration, kept beside roles and permissions in the gateway's
/// database (`IdentityStore+CustomFields`), not in clients' events: a value is checked
/// against its definition when it is written (`check(_:field:)`), and then stored with its
/// type (`CustomFieldValue`), so replaying a client never needs the definitions.
public struct CustomFieldDefinition: Sendable, Equatable {
    public var fieldKey: String
    public var label: String
    public var type: CustomFieldType
    /// The allowed values of a select or multiselect, in order; empty for the other types.
    public var options: [String]
    public var required: Bool

    public init(fieldKey: String, label: String, type: CustomFieldType, options: [String] = [], required: Bool = false) {
        self.fieldKey = fieldKey
        self.label = label
        self.type = type
        self.options = options
        self.required = required
    }

    /// What is wrong with the definition itself, as (field, message) pairs: the key's shape,
    /// a label of 1 to 200 characters, options for select and multiselect only (1 to 100,
    /// each 1 to 200 characters, none twice).
    public func problems(limits: WorkspaceFieldLimits = WorkspaceFieldLimits()) -> [(field: String, message: String)] {
        var problems: [(field: String, message: String)] = []
        if !WorkspaceFieldLimits.isFieldKey(fieldKey) {
            problems.append(("fieldKey", WorkspaceFieldLimits.fieldKeyRule))
        }
        if TextLimit.isBlank(label) {
            problems.append(("label", "must not be empty"))
        } else if let problem = limits.label.problem(label) {
            problems.append(("label", problem))
        }
        if type.hasOptions {
            if options.isEmpty || options.count > limits.maxOptions {
                problems.append(("options", "must list 1 to \(limits.maxOptions) options for a \(type.rawValue) field"))
            }
            for (index, option) in options.enumerated() {
                if TextLimit.isBlank(option) {
                    problems.append(("options[\(index)]", "must not be empty"))
                } else if let problem = limits.option.problem(option) {
                    problems.append(("options[\(index)]", problem))
                } else if options[..<index].contains(where: { Array($0.utf8) == Array(option.utf8) }) {
                    problems.append(("options[\(index)]", "must not repeat an earlier option"))
                }
            }
        } else if !options.isEmpty {
            problems.append(("options", "must be empty for a \(type.rawValue) field"))
        }
        return problems
    }

    /// `value` as this field stores it, or what is wrong with it (a phrase to follow the
    /// field's name).
    public func check(_ value: JSONValue, limits: WorkspaceFieldLimits = WorkspaceFieldLimits()) -> Result<CustomFieldValue, CustomFieldProblem> {
        func problem(_ message: String) -> Result<CustomFieldValue, CustomFieldProblem> { .failure(CustomFieldProblem(message)) }
        switch (type, value) {
        case (.text, .string(let text)):
            if let issue = limits.textValue.problem(text) { return problem(issue) }
            return .success(.text(text))
        case (.number, .int(let number)):
            return .success(.integer(number))
        case (.number, .number(let number)):
            guard let stored = CustomFieldValue.number(number) else { return problem("must be a finite number") }
            return .success(stored)
        case (.boolean, .bool(let flag)):
            return .success(.boolean(flag))
        case (.date, .string(let text)):
            guard Self.isDate(text) else { return problem("must be a date, YYYY-MM-DD") }
            return .success(.text(text))
        case (.select, .string(let text)):
            guard options.contains(where: { Array($0.utf8) == Array(text.utf8) }) else {
                return problem("must be one of the field's options")
            }
            return .success(.text(text))
        case (.multiselect, .array(let items)):
            var chosen: [String] = []
            for item in items {
                guard case .string(let text) = item, options.contains(where: { Array($0.utf8) == Array(text.utf8) }) else {
                    return problem("must list only the field's options")
                }
                guard !chosen.contains(where: { Array($0.utf8) == Array(text.utf8) }) else {
                    return problem("must not list an option twice")
                }
                chosen.append(text)
            }
            return .success(.options(chosen))
        default:
            return problem("must be \(Self.expected(type))")
        }
    }

    /// Whether `value` counts as given for a required field: not blank text, not an empty
    /// multiselect.
    public static func isGiven(_ value: CustomFieldValue) -> Bool {
        switch value {
        case .text(let text): !TextLimit.isBlank(text)
        case .options(let options): !options.isEmpty
        default: true
        }
    }

    /// A key without a definition takes text only, kept as sent (within the text limit).
    public static func checkUndefined(_ value: JSONValue, limits: WorkspaceFieldLimits = WorkspaceFieldLimits()) -> Result<CustomFieldValue, CustomFieldProblem> {
        guard case .string(let text) = value else {
            return .failure(CustomFieldProblem("must be text: no custom field is defined with this key"))
        }
        if let issue = limits.textValue.problem(text) { return .failure(CustomFieldProblem(issue)) }
        return .success(.text(text))
    }

    static func expected(_ type: CustomFieldType) -> String {
        switch type {
        case .text: "text"
        case .number: "a number"
        case .boolean: "true or false"
        case .date: "a date, YYYY-MM-DD"
        case .select: "one of the field's options"
        case .multiselect: "an array of the field's options"
        }
    }

    /// Whether `text` is a calendar date `YYYY-MM-DD` (years 0001 to 9999, Gregorian).
    public static func isDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return false }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              year >= 1, (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }
}

/// Why a custom field's value does not fit: a phrase to follow the field's name.
public struct CustomFieldProblem: Error, Sendable, Equatable {
    public var message: String

    public init(_ message: String) { self.message = message }
}
