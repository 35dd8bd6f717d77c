import ClientDomain
import Errors
import Foundation

/// The admin API's filters beyond text and status, part of a `ClientListQuery`.
///
/// A nil field does not filter. A client without a plan counts as `free`, without an
/// account type as `individual`, without `emailVerified`/`twoFactorEnabled` as false.
/// Text searches match case-insensitively anywhere in the field. `createdAfter` and
/// `createdBefore` are exclusive bounds.
public struct ClientFilters: Sendable, Equatable {
    public var plans: [Plan] = []
    public var accountTypes: [AccountType] = []
    public var provider: String?
    public var createdAfter: Date?
    public var createdBefore: Date?
    /// The part after `@`, compared without case.
    public var emailDomain: String?
    public var companySearch: String?
    public var locationSearch: String?
    public var industrySearch: String?
    public var minSubmissions: Int64?
    public var maxSubmissions: Int64?
    public var emailVerified: Bool?
    public var twoFactorEnabled: Bool?
    public var hasAvatar: Bool?
    public var hasWebsite: Bool?
    public var hasPhone: Bool?

    public init() {}

    public var isEmpty: Bool { self == ClientFilters() }

    /// `text` as a list of `T`: one or more raw values separated by commas, nothing else
    /// between them (no spaces, no empty items); nil when any item is not a `T`. A value
    /// given twice counts once.
    public static func commaList<T: RawRepresentable>(_ text: String, of type: T.Type) -> [T]? where T.RawValue == String {
        var values: [T] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = T(rawValue: String(item)) else { return nil }
            if !values.contains(where: { $0.rawValue == value.rawValue }) { values.append(value) }
        }
        return values
    }

    /// A text parameter's limit: 200 characters (code points), no control characters or
    /// noncharacters.
    public static let textLimit = TextLimit(characters: 200)

    /// The filters as query parameters, named as the admin API names them.
    public var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if !plans.isEmpty { items.append(("plan", plans.map(\.rawValue).joined(separator: ","))) }
        if !accountTypes.isEmpty { items.append(("accountType", accountTypes.map(\.rawValue).joined(separator: ","))) }
        let texts: [(String, String?)] = [("provider", provider), ("emailDomain", emailDomain), ("companySearch", companySearch),
                                          ("locationSearch", locationSearch), ("industrySearch", industrySearch)]
        for case let (name, value?) in texts { items.append((name, value)) }
        if let createdAfter { items.append(("createdAfter", Timestamp.format(createdAfter))) }
        if let createdBefore { items.append(("createdBefore", Timestamp.format(createdBefore))) }
        if let minSubmissions { items.append(("minSubmissions", String(minSubmissions))) }
        if let maxSubmissions { items.append(("maxSubmissions", String(maxSubmissions))) }
        let flags: [(String, Bool?)] = [("emailVerified", emailVerified), ("twoFactorEnabled", twoFactorEnabled),
                                        ("hasAvatar", hasAvatar), ("hasWebsite", hasWebsite), ("hasPhone", hasPhone)]
        for case let (name, value?) in flags { items.append((name, value ? "true" : "false")) }
        return items
    }

    /// Reads the filters from query parameters (`parameter(name)` answers one); a bad value
    /// is an `invalidArgument` error naming the parameter and what it must be.
    ///
    /// A list is one or more values separated by commas, nothing else between them; a date,
    /// count or flag must have a value; an empty text is no filter. (The gateway's OpenAPI
    /// document states these rules.)
    public init(parameter: (String) -> String?) throws {
        func invalid(_ name: String, _ expected: String) -> ClienteleError {
            ClienteleError(.invalidArgument, "\(name) must be \(expected)", context: ["field": name])
        }
        func list<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) throws -> [T] where T.RawValue == String {
            guard let text = parameter(name) else { return [] }
            let names = T.allCases.map(\.rawValue).joined(separator: ", ")
            guard let values = Self.commaList(text, of: type) else { throw invalid(name, "one or more of \(names), comma-separated") }
            return values
        }
        func text(_ name: String) throws -> String? {
            guard let value = parameter(name), !value.isEmpty else { return nil }
            if let problem = Self.textLimit.problem(value) {
                throw ClienteleError(.invalidArgument, "\(name) \(problem)", context: ["field": name])
            }
            return value
        }
        func date(_ name: String) throws -> Date? {
            guard let value = parameter(name) else { return nil }
            guard let date = Timestamp.parse(value) else { throw invalid(name, "an RFC 3339 date-time or YYYY-MM-DD") }
            return date
        }
        func count(_ name: String) throws -> Int64? {
            guard let value = parameter(name) else { return nil }
            guard let number = Int64(value), number >= 0 else { throw invalid(name, "an integer of 0 or more") }
            return number
        }
        func flag(_ name: String) throws -> Bool? {
            switch parameter(name) {
            case nil: return nil
            case "true"?: return true
            case "false"?: return false
            default: throw invalid(name, "true or false")
            }
        }
        plans = try list("plan", Plan.self)
        accountTypes = try list("accountType", AccountType.self)
        provider = try text("provider")
        emailDomain = try text("emailDomain")
        companySearch = try text("companySearch")
        locationSearch = try text("locationSearch")
        industrySearch = try text("industrySearch")
        createdAfter = try date("createdAfter")
        createdBefore = try date("createdBefore")
        minSubmissions = try count("minSubmissions")
        maxSubmissions = try count("maxSubmissions")
        emailVerified = try flag("emailVerified")
        twoFactorEnabled = try flag("twoFactorEnabled")
        hasAvatar = try flag("hasAvatar")
        hasWebsite = try flag("hasWebsite")
        hasPhone = try flag("hasPhone")
    }
}
