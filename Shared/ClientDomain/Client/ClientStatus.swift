/// A client's lifecycle status, the union of what the APIs show.
///
/// The organization API knows `active` and `inactive`; the admin API adds `suspended` and
/// `trial`; the leads API shows `isActive` (true only for `active`); the care API adds
/// `terminated` (a participant who left the service), which the organization API shows as
/// `inactive`, the leads API as not active, and the admin API by its name.
public enum ClientStatus: String, Sendable, Codable, CaseIterable {
    case active, inactive, suspended, trial, terminated
}
