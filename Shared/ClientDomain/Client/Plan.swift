/// The admin API's subscription plan. `standard` and `premium` are paid.
public enum Plan: String, Sendable, Codable, CaseIterable {
    case free, standard, premium
}
