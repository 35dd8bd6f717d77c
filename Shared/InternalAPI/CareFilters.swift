import Errors
import Foundation

/// The care API's filters, part of a `ClientListQuery`; a nil field does not filter.
///
/// `text` matches case-insensitively anywhere in the name or email, or in the NDIS number;
/// `ndisNumber` is exact. `coordinatedBy` and `planManagedBy` (user ids) keep the clients the
/// user coordinates or plan-manages, and `attendedBy` those a health carer's appointments reach
/// (any of them, when several are given). `keyset` pages by id
/// instead of the sort field: the page is the next `limit` clients after `after` (from the
/// first without it), and the page's `total` is not counted (-1), so an export walks ten
/// million clients without offsets or counts.
public struct CareFilters: Sendable, Equatable {
    public var ndisNumber: String?
    public var text: String?
    public var coordinatedBy: UUID?
    public var planManagedBy: UUID?
    /// The health carer whose appointments reach the client (`CareFilters.attendanceWindowDays`).
    public var attendedBy: UUID?
    /// The client holding this goal or medication.
    public var recordId: UUID?
    /// The client holding this appointment.
    public var appointmentId: UUID?
    public var keyset = false
    public var after: UUID?

    public init() {}

    /// A health carer reaches a client while it has an appointment with it that is scheduled,
    /// or completed and ended no more than this many days ago; then access ends.
    public static let attendanceWindowDays = 14

    /// Keeps the clients `userId` is related to: coordinates, plan-manages or attends.
    public mutating func relate(to userId: UUID) {
        coordinatedBy = userId
        planManagedBy = userId
        attendedBy = userId
    }

    public var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let ndisNumber { items.append(("careNdisNumber", ndisNumber)) }
        if let text { items.append(("careText", text)) }
        if let coordinatedBy { items.append(("careCoordinatedBy", coordinatedBy.lowercasedString)) }
        if let planManagedBy { items.append(("carePlanManagedBy", planManagedBy.lowercasedString)) }
        if let attendedBy { items.append(("careAttendedBy", attendedBy.lowercasedString)) }
        if let recordId { items.append(("careRecordId", recordId.lowercasedString)) }
        if let appointmentId { items.append(("careAppointmentId", appointmentId.lowercasedString)) }
        if keyset { items.append(("keyset", "true")) }
        if let after { items.append(("after", after.lowercasedString)) }
        return items
    }

    /// Reads what `queryItems` writes; a bad value is an `invalidArgument` error naming it.
    public init(parameter: (String) -> String?) throws {
        func invalid(_ name: String, _ expected: String) -> ClienteleError {
            ClienteleError(.invalidArgument, "The query parameter \(name) must be \(expected)", context: ["parameter": name])
        }
        func id(_ name: String) throws -> UUID? {
            guard let text = parameter(name) else { return nil }
            guard let id = UUID(canonical: text) else { throw invalid(name, "a UUID") }
            return id
        }
        func text(_ name: String) throws -> String? {
            guard let value = parameter(name), !value.isEmpty else { return nil }
            if let problem = ClientFilters.textLimit.problem(value) {
                throw ClienteleError(.invalidArgument, "\(name) \(problem)", context: ["parameter": name])
            }
            return value
        }
        ndisNumber = try text("careNdisNumber")
        self.text = try text("careText")
        coordinatedBy = try id("careCoordinatedBy")
        planManagedBy = try id("carePlanManagedBy")
        attendedBy = try id("careAttendedBy")
        recordId = try id("careRecordId")
        appointmentId = try id("careAppointmentId")
        switch parameter("keyset") {
        case nil: keyset = false
        case "true"?: keyset = true
        default: throw invalid("keyset", "true")
        }
        after = try id("after")
    }
}
