/// The names of the roles the first identity migration seeds.
///
/// Roles are rows of the `roles` table and what each permits is in `role_permissions`; these
/// constants only spare callers from spelling the seeded names. Code decides by permission
/// (`Permission`), never by role name, except to find "a super-admin" for bootstrapping.
public enum Role {
    public static let superAdmin = "super-admin"
    public static let admin = "admin"
    public static let sales = "sales"
    public static let finance = "finance"
    public static let agent = "agent"
    public static let supportCoordinator = "support-coordinator"
    public static let planManager = "plan-manager"
    public static let healthCarer = "health-carer"
}
