/// A client's lifecycle status, the union of what the APIs show.
///
/// The organization API knows `active` and `inactive`; the admin API adds `suspended` and
/// `trial`; the leads API shows `isActive` (true only for `active`).
public enum ClientStatus: String, Sendable, Codable, CaseIterable {
    case active, inactive, suspended, trial
}
