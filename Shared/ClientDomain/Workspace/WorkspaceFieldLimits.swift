import Errors

/// The rules every client's `WorkspaceFields` keep, whichever API wrote them: the command
/// service's decider checks them on every proposed profile (through
/// `ClientFieldLimits.validate`), and the workspace API's input checks them first to answer
/// each failing field in its own shape.
///
/// - Contact methods: at most 20; exactly one preferred; never the same (type, value) twice;
///   each value not blank, without control characters or noncharacters, and within its
///   type's limit: an email 254 bytes shaped like an address (the profile's email rule); a phone, WhatsApp number or fax 50 characters (the profile's phone limit);
///   other 254 characters. (The workspace API also takes emails in ASCII only, lower-cases
///   them, and normalises phone and WhatsApp numbers to E.164; values another API wrote are
///   kept as written.)
/// - Custom fields: at most 100 keys, each matching `^[a-zA-Z][a-zA-Z0-9_]{0,63}$`; text at
///   most 10,000 characters and 10,000 bytes (line feed and tab allowed); options at most 200
///   characters, at most 100 in a value; numbers finite; and the keys and text of one client's
///   custom fields at most 65,536 bytes together, so a client fits the internal request and
///   event sizes.
///
/// None of these values is under a B-tree index (the search read model indexes contact
/// values by trigram, types and custom fields with GIN), so `ReadModelLimits` adds nothing.
public struct WorkspaceFieldLimits: Sendable {
    public var maxContactMethods = 20
    public var email = ClientFieldLimits().email
    public var phone = ClientFieldLimits().phone
    public var other = TextLimit(characters: 254)
    public var maxCustomFields = 100
    public var textValue = TextLimit(characters: 10_000, bytes: 10_000, multiLine: true)
    public var option = TextLimit(characters: 200)
    public var maxOptions = 100
    public var label = TextLimit(characters: 200)
    public var maxCustomFieldBytes = 65_536

    public init() {}

    public static let fieldKeyRule = "must start with a letter and hold at most 64 letters, digits and underscores"
    public static let fieldKeyPattern = "^[a-zA-Z][a-zA-Z0-9_]{0,63}$"

    /// Whether `key` matches `fieldKeyPattern`.
    public static func isFieldKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard (1...64).contains(bytes.count), isLetter(bytes[0]) else { return false }
        return bytes.allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_") }
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }

    /// The limit of a contact value of `type`.
    public func limit(of type: ContactType) -> TextLimit {
        switch type {
        case .email: email
        case .phone, .whatsapp, .fax: phone
        case .other: other
        }
    }

    /// What is wrong with a contact value of `type` (a phrase to follow its field), or nil.
    public func contactValueProblem(_ value: String, type: ContactType) -> String? {
        if TextLimit.isBlank(value) { return "must not be empty" }
        if let problem = limit(of: type).problem(value) { return problem }
        if type == .email, !ClientFieldLimits.looksLikeEmail(value) { return "must be a valid email address" }
        return nil
    }

    /// Every rule a list of contact methods breaks, as (field, message), fields named as the
    /// workspace API names them (`contactMethods[1].value`).
    public func contactMethodProblems(_ methods: [ContactMethod]) -> [(field: String, message: String)] {
        var problems: [(field: String, message: String)] = []
        if methods.count > maxContactMethods {
            problems.append(("contactMethods", "must list at most \(maxContactMethods) contact methods"))
        }
        for (index, method) in methods.enumerated() {
            if let problem = contactValueProblem(method.value, type: method.type) {
                problems.append(("contactMethods[\(index)].value", problem))
            } else if methods[..<index].contains(where: { $0.type == method.type && Array($0.value.utf8) == Array(method.value.utf8) }) {
                problems.append(("contactMethods[\(index)].value", "repeats an earlier \(method.type.rawValue) contact method"))
            }
        }
        let preferred = methods.indices.filter { methods[$0].isPreferred }
        if !methods.isEmpty, preferred.count != 1 {
            let field = preferred.count > 1 ? "contactMethods[\(preferred[1])].isPreferred" : "contactMethods"
            problems.append((field, "exactly one contact method must be preferred (\(preferred.count) are)"))
        }
        return problems
    }

    /// Every rule the custom fields break, as (field, message), fields named
    /// `customFields.<key>` (the whole map as `customFields`).
    public func customFieldProblems(_ fields: [String: CustomFieldValue]) -> [(field: String, message: String)] {
        var problems: [(field: String, message: String)] = []
        if fields.count > maxCustomFields {
            problems.append(("customFields", "must hold at most \(maxCustomFields) fields"))
        }
        var bytes = 0
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            bytes += key.utf8.count + value.storedBytes
            guard Self.isFieldKey(key) else {
                problems.append(("customFields", "a fieldKey \(Self.fieldKeyRule)"))
                continue
            }
            let field = "customFields.\(key)"
            switch value {
            case .text(let text):
                if let problem = textValue.problem(text) { problems.append((field, problem)) }
            case .options(let options):
                if options.count > maxOptions { problems.append((field, "must list at most \(maxOptions) options")) }
                if let problem = options.lazy.compactMap({ self.option.problem($0) }).first { problems.append((field, problem)) }
            case .decimal(let number):
                if !number.isFinite { problems.append((field, "must be a finite number")) }
            case .integer, .boolean:
                break
            }
        }
        if bytes > maxCustomFieldBytes {
            problems.append(("customFields", "must hold at most \(maxCustomFieldBytes) bytes of keys and text together"))
        }
        return problems
    }

    /// Throws `invalidArgument` naming the first field that breaks a rule.
    public func validate(_ fields: WorkspaceFields?) throws {
        guard let fields else { return }
        let problems = contactMethodProblems(fields.contactMethods ?? []) + customFieldProblems(fields.customFields)
        if let (field, message) = problems.first {
            throw ClienteleError(.invalidArgument, "\(field) \(message)", context: ["field": field])
        }
    }
}
