/// The names of the staff permissions the identity migrations seed (`permissions` table).
///
/// A route names the permission it needs; which roles grant it is data
/// (`role_permissions`). Distinct from `APIKeyPermission`, which scopes API keys.
public enum Permission {
    public static let clientsRead = "clients.read"
    public static let clientsCreate = "clients.create"
    public static let clientsUpdate = "clients.update"
    public static let clientsDelete = "clients.delete"
    /// Create and change users of the companies the caller belongs to.
    public static let usersManage = "users.manage"
    /// Create and list companies, and act in every company (not only one's own).
    public static let companiesManage = "companies.manage"
    /// Change one's own companies' settings (name, time zone); with `companies.manage`, any
    /// company's. Granted to super-admin and admin (identity migration 13).
    public static let companiesSettings = "companies.settings"
    public static let apiKeysManage = "api_keys.manage"
    /// The leads API: list and read any lead of one's companies.
    public static let leadsRead = "leads.read"
    /// The leads API: read a lead one is assigned to as an agent.
    public static let leadsReadAssigned = "leads.read_assigned"
    /// The leads API: create, change, disable leads, set their portal passwords.
    public static let leadsWrite = "leads.write"
    /// The admin clients API.
    public static let clientsAdmin = "clients.admin"
    /// Erase a client (privacy): its key, events' readability, read models, documents and CRM
    /// contact. Granted to super-admin and admin (identity migration 11).
    public static let clientsErase = "clients.erase"
    /// The admin clients API's export of a client's own data (APP 12): every face, documents,
    /// care records, history and access log of one client.
    public static let clientsExport = "clients.export"
    /// The care API's client documents (upload, list, download). Granted to super-admin and
    /// admin until the care API's own roles exist; they get it from their migration.
    public static let careDocuments = "care.documents"
    /// The care API: read care clients (lists, profiles without medical information).
    public static let careRead = "care.read"
    /// The care API: create care clients, change their profiles and statuses.
    public static let careWrite = "care.write"
    public static let careMedicalRead = "care.medical.read"
    public static let careMedicalWrite = "care.medical.write"
    public static let careExport = "care.export"
    public static let careAuditRead = "care.audit.read"
    /// Reach every care client of one's companies; without it, only those related to one (the
    /// clients one coordinates, plan-manages or has appointments with).
    public static let careEveryClient = "care.every_client"
    /// The workspace API: define, change and delete a workspace's custom fields.
    public static let customFieldsManage = "custom_fields.manage"
}
