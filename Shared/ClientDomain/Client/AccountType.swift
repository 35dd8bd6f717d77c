/// The admin API's account type.
public enum AccountType: String, Sendable, Codable, CaseIterable {
    case individual, business, enterprise
}
