import Foundation

/// A page of the care export (`GET` `InternalPaths.careExport`, `CareExportPage+Stream`): a run of clients by id,
/// each with only what the export's CSV and its access record need.
///
/// Not a `ClientListPage`: an export reads every client of a company, and writing, parsing
/// and reading whole records as JSON was most of the export's time in both services
/// (measured: docs/performance.md, design measurements). Its one codec is
/// `CareExportPage+Wire` (length-prefixed, no escaping).
public struct CareExportPage: Sendable, Equatable {
    /// The most rows a page may hold.
    public static let maxRows = 10_000

    public var rows: [Row]

    public init(rows: [Row]) {
        self.rows = rows
    }

    /// One client: its ids, and its texts as the read model holds them (nil when absent).
    public struct Row: Sendable, Equatable {
        public var id: UUID
        public var tenantId: UUID
        public var number: Int64?
        public var name: String?
        public var displayName: String?
        /// `personalInfo.firstName` and `lastName` of the care sections.
        public var firstName: String?
        public var lastName: String?
        public var email: String?
        public var ndisNumber: String?
        public var status: String
        public var planManager: String?
        public var supportCoordinator: String?

        public init(id: UUID, tenantId: UUID, number: Int64?, name: String?, displayName: String?, firstName: String?,
                    lastName: String?, email: String?, ndisNumber: String?, status: String, planManager: String?,
                    supportCoordinator: String?) {
            self.id = id
            self.tenantId = tenantId
            self.number = number
            self.name = name
            self.displayName = displayName
            self.firstName = firstName
            self.lastName = lastName
            self.email = email
            self.ndisNumber = ndisNumber
            self.status = status
            self.planManager = planManager
            self.supportCoordinator = supportCoordinator
        }
    }
}
