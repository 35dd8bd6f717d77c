import ClientDomain
import Errors
import Foundation

/// Search projection: a client's appointments (`GET InternalPaths.careAppointments`), in start
/// order, at most `maxCount` (the earliest), optionally those starting in `[from, to)` and of
/// one `status`.
public struct CareAppointmentsQuery: Sendable, Equatable {
    public static let maxCount = 1000

    public var clientId: UUID
    public var tenantId: UUID
    public var from: Date?
    public var to: Date?
    public var status: String?
    /// Only this appointment.
    public var id: UUID?

    public init(clientId: UUID, tenantId: UUID, from: Date? = nil, to: Date? = nil, status: String? = nil, id: UUID? = nil) {
        self.id = id
        self.clientId = clientId
        self.tenantId = tenantId
        self.from = from
        self.to = to
        self.status = status
    }

    public var queryItems: [(String, String)] {
        var items = [("clientId", clientId.lowercasedString), ("tenantId", tenantId.lowercasedString)]
        if let from { items.append(("from", Timestamp.format(from))) }
        if let to { items.append(("to", Timestamp.format(to))) }
        if let status { items.append(("status", status)) }
        if let id { items.append(("id", id.lowercasedString)) }
        return items
    }

    /// Reads what `queryItems` writes; a bad value is an `invalidArgument` error naming it.
    public init(parameter: (String) -> String?) throws {
        func invalid(_ name: String, _ expected: String) -> ClienteleError {
            ClienteleError(.invalidArgument, "The query parameter \(name) must be \(expected)", context: ["parameter": name])
        }
        guard let clientId = parameter("clientId").flatMap(UUID.init(canonical:)) else { throw invalid("clientId", "a UUID") }
        guard let tenantId = parameter("tenantId").flatMap(UUID.init(canonical:)) else { throw invalid("tenantId", "a UUID") }
        self.init(clientId: clientId, tenantId: tenantId)
        if let text = parameter("from") {
            guard let date = Timestamp.parse(text) else { throw invalid("from", "an RFC 3339 time") }
            from = date
        }
        if let text = parameter("to") {
            guard let date = Timestamp.parse(text) else { throw invalid("to", "an RFC 3339 time") }
            to = date
        }
        if let text = parameter("status") {
            guard CareRecordSchema.appointmentStatuses.contains(text) else {
                throw invalid("status", "one of " + CareRecordSchema.appointmentStatuses.joined(separator: ", "))
            }
            status = text
        }
        if let text = parameter("id") {
            guard let value = UUID(canonical: text) else { throw invalid("id", "a UUID") }
            id = value
        }
    }
}

/// One appointment as the search projection keeps it.
public struct CareAppointment: Sendable, Equatable {
    public var id: UUID
    public var clientId: UUID
    public var carerId: UUID
    public var startsAt: Date
    public var endsAt: Date
    public var serviceType: String
    public var status: String

    public init(id: UUID, clientId: UUID, carerId: UUID, startsAt: Date, endsAt: Date, serviceType: String, status: String) {
        self.id = id
        self.clientId = clientId
        self.carerId = carerId
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.serviceType = serviceType
        self.status = status
    }
}

/// One client of a health carer's (`GET InternalPaths.carerClients`): its id, number, names as
/// the read model holds them, and how many appointments the carer has with it (any status).
public struct CarerClient: Sendable, Equatable {
    public var id: UUID
    public var number: Int64?
    public var name: String?
    public var firstName: String?
    public var lastName: String?
    public var appointmentCount: Int64

    public init(id: UUID, number: Int64?, name: String?, firstName: String?, lastName: String?, appointmentCount: Int64) {
        self.id = id
        self.number = number
        self.name = name
        self.firstName = firstName
        self.lastName = lastName
        self.appointmentCount = appointmentCount
    }
}
