import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import InternalAPI
import JSON
import ServiceRuntime

/// The care API's appointments: a client's appointments (`care.read`), a health carer's
/// clients, booking and rescheduling (`care.write`).
///
/// An appointment is `{id, date, startTime, endTime, healthCarer: {id, name}, status,
/// serviceType}`, its date and times in the company's time zone (`IdentityStore.timeZone`,
/// default Australia/Sydney) and stored in UTC. The carer must be an active user of the
/// client's company with the `health-carer` role, and is never booked twice at overlapping
/// times: the command service's append claims the carer's five-minute slots (409 for the
/// loser, however many book at once). Reads and write answers leave a record in the care
/// access audit (`["appointments"]`).
struct CareAppointmentsAPI: Sendable {
    let clients: CareClientsAPI

    static let listPath = "/api/appointment/appointmentListsClient/:clientId"
    static let carerClientsPath = "/api/appointment/getClientList/healthCarerId/:healthCarerId"
    static let createPath = "/api/appointment/create"
    static let updatePath = "/api/appointment/:id"
    static let sections = ["appointments"]
    static let notFound = ClienteleError(.notFound, "Appointment not found")
    static let carerNotFound = ClienteleError(.notFound, "Health carer not found")
    static let inputFields = ["healthCarerId", "date", "startTime", "endTime", "serviceType", "status"]

    func register(on setup: ServiceSetup) {
        let options = RouteOptions(maxBodyBytes: CareRecordInput.maxBodyBytes)
        setup.route(.GET, Self.listPath, clients.rendering(list))
        setup.route(.GET, Self.carerClientsPath, clients.rendering(carerClients))
        setup.route(.POST, Self.createPath, options: options, clients.rendering(create))
        setup.route(.PUT, Self.updatePath, options: options, clients.rendering(update))
    }

    /// `status`, `startDate` and `endDate` (dates in the company's time zone, both included)
    /// filter; in start order, at most `CareAppointmentsQuery.maxCount`.
    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (staff, access) = try await clients.caller(request, needs: Permission.careRead)
        var issues: [CareIssue] = []
        let status = request.queryParameter("status").flatMap { $0.isEmpty ? nil : $0 }
        if let status, !CareRecordSchema.appointmentStatuses.contains(status) {
            issues.append(CareIssue("status", "must be one of " + CareRecordSchema.appointmentStatuses.joined(separator: ", ")))
        }
        var dates: [String: String] = [:]
        for name in ["startDate", "endDate"] {
            guard let text = request.queryParameter(name), !text.isEmpty else { continue }
            if CareSchema.isDate(text) { dates[name] = text } else { issues.append(CareIssue(name, "must be a date (YYYY-MM-DD)")) }
        }
        if let start = dates["startDate"], let end = dates["endDate"], end < start {
            issues.append(CareIssue("endDate", "must be on or after startDate"))
        }
        guard issues.isEmpty else { throw CareValidationFailure(issues) }
        let record = try await clients.client(request.pathParameters["clientId"], request, staff, access, needs: Permission.careRead)
        let zone = try await clients.timeZones.zone(of: record.tenantId)
        let query = CareAppointmentsQuery(clientId: record.id, tenantId: record.tenantId,
                                          from: dates["startDate"].flatMap { CareAppointmentTime.startOfDay($0, in: zone) },
                                          to: dates["endDate"].flatMap { CareAppointmentTime.endOfDay($0, in: zone) }, status: status)
        let appointments = try await clients.search.appointments(query)
        let names = try await carerNames(Set(appointments.map(\.carerId)))
        try await clients.audit.record(staff, route: CareClientsAPI.route(request), clients: [record], sections: Self.sections,
                                       outcome: .allowed)
        var offsets = CareAppointmentTime.Offsets(zone: zone)
        return CareClientView.ok(.array(appointments.map { Self.appointment($0, offsets: &offsets, names: names) }))
    }

    /// The clients the carer has appointments with (any status), by number: for the carer
    /// itself, or a caller reaching every client of its companies.
    func carerClients(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (staff, access) = try await clients.caller(request, needs: Permission.careRead)
        guard let carerId = request.pathParameters["healthCarerId"].flatMap(UUID.init(canonical:)) else { throw Self.carerNotFound }
        guard carerId == access.userId || access.reachesEveryClient else { throw CareClientsAPI.forbidden }
        let tenants: [UUID]
        if carerId == access.userId && !access.actsInEveryCompany {
            tenants = Array(access.companyIds)
        } else {
            guard let carer = try await clients.identity.user(id: carerId) else { throw Self.carerNotFound }
            tenants = carer.companyIds.filter(access.isInCompany)
            guard !tenants.isEmpty else { throw Self.carerNotFound }
        }
        let found = try await clients.search.carerClients(carerId: carerId, tenantIds: tenants.sorted { $0.uuidString < $1.uuidString })
        try await clients.audit.record(staff, route: CareClientsAPI.route(request), companyId: tenants.count == 1 ? tenants[0] : nil,
                                       clientIds: found.map(\.id), clientNumbers: found.compactMap(\.number), sections: ["list"],
                                       outcome: .allowed)
        return CareClientView.ok(capacity: 64 + 96 * found.count) { items in
            for client in found {
                let (first, last) = CareClientView.names(name: client.name, displayName: nil, firstName: client.firstName,
                                                         lastName: client.lastName)
                items.object { item in
                    item.member("appointmentCount", client.appointmentCount)
                    item.member("firstName", first)
                    item.member("id", client.number.map { String($0) } ?? client.id.lowercasedString)
                    item.member("lastName", last)
                }
            }
        }
    }

    /// `{clientId, healthCarerId, date, startTime, endTime, serviceType, status?}`.
    func create(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (staff, access) = try await clients.caller(request, needs: Permission.careWrite)
        let (bytes, body) = try await CareRecordInput.body(request)
        var issues: [CareIssue] = []
        let clientId = CareRecordInput.clientId(body, issues: &issues)
        let input = Self.input(body, extra: ["clientId"], required: ["healthCarerId", "date", "startTime", "endTime", "serviceType"],
                               issues: &issues)
        guard issues.isEmpty else { throw CareValidationFailure(issues) }
        let record = try await clients.client(clientId, request, staff, access, needs: Permission.careWrite)
        let zone = try await clients.timeZones.zone(of: record.tenantId)
        let fields = try await fields(input, current: nil, record: record, zone: zone)
        let outcome = try await clients.send(CareRecordChange(kind: .appointment, change: .added, id: UUID(), fields: fields),
                                             for: record, staff, request, body: bytes)
        return try await answer(request, staff, record, outcome, zone: zone, status: .created,
                                message: "Appointment created successfully")
    }

    /// A reschedule or a status change: any of the create body's fields but `clientId`.
    func update(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (staff, access) = try await clients.caller(request, needs: Permission.careWrite)
        let id = try CareRecordInput.id(request, "id", notFound: Self.notFound)
        let (bytes, body) = try await CareRecordInput.body(request)
        var issues: [CareIssue] = []
        let input = Self.input(body, extra: [], required: [], issues: &issues)
        guard issues.isEmpty else { throw CareValidationFailure(issues) }
        let record = try await clients.client(holding: id, appointment: true, notFound: Self.notFound, request, staff, access,
                                              needs: Permission.careWrite)
        guard let current = try await clients.search.appointments(
            CareAppointmentsQuery(clientId: record.id, tenantId: record.tenantId, id: id)).first else { throw Self.notFound }
        let zone = try await clients.timeZones.zone(of: record.tenantId)
        let fields = try await fields(input, current: current, record: record, zone: zone)
        let outcome = try await clients.send(CareRecordChange(kind: .appointment, change: .changed, id: id, fields: fields),
                                             for: record, staff, request, body: bytes)
        return try await answer(request, staff, record, outcome, zone: zone, status: .ok, message: "Appointment updated successfully")
    }

    /// The body's fields, each checked on its own.
    static func input(_ body: [String: JSONValue], extra: [String], required: [String], issues: inout [CareIssue]) -> [String: String] {
        var input: [String: String] = [:]
        for key in body.keys.sorted() where !inputFields.contains(key) && !extra.contains(key) {
            issues.append(CareIssue(key, "is not a known field"))
        }
        for key in inputFields {
            guard let value = body[key], value != .null else {
                if required.contains(key) { issues.append(CareIssue(key, "is required")) }
                continue
            }
            guard case .string(let text) = value else {
                issues.append(CareIssue(key, "must be a string"))
                continue
            }
            let problem: String? = switch key {
            case "date": CareSchema.isDate(text) ? nil : "must be a date (YYYY-MM-DD)"
            case "startTime", "endTime": CareAppointmentTime.isTime(text) ? nil : "must be a time (HH:MM) on a five-minute mark"
            case "healthCarerId": CareRecordSchema.issues(ofChanges: [key: value], .appointment).first?.message
            default: CareRecordSchema.issues(ofChanges: [key: value], .appointment).first?.message
            }
            if let problem { issues.append(CareIssue(key, problem)) } else { input[key] = text }
        }
        return input
    }

    /// The record fields `input` sets on `current` (nil: a new appointment): the UTC instants
    /// of its local date and times (`CareAppointmentTime.span`: an end before the start is on
    /// the next day; a reschedule keeps the given times' rule, with the date and times it does
    /// not give taken from `current` as shown), and the carer, once checked.
    private func fields(_ input: [String: String], current: CareAppointment?, record: ClientRecord,
                        zone: TimeZone) async throws -> [String: JSONValue] {
        var fields: [String: JSONValue] = [:]
        var issues: [CareIssue] = []
        if input["date"] != nil || input["startTime"] != nil || input["endTime"] != nil {
            let start = current.map { CareAppointmentTime.local($0.startsAt, in: zone) }
            let end = current.map { CareAppointmentTime.local($0.endsAt, in: zone) }
            let date = input["date"] ?? start?.date ?? ""
            let startTime = input["startTime"] ?? start?.time ?? ""
            let endTime = input["endTime"] ?? end?.time ?? ""
            if let span = CareAppointmentTime.span(date: date, startTime: startTime, endTime: endTime, in: zone, issues: &issues) {
                fields["startsAt"] = .string(Timestamp.format(span.startsAt))
                fields["endsAt"] = .string(Timestamp.format(span.endsAt))
            }
        }
        if let carer = input["healthCarerId"], let id = UUID(canonical: carer) {
            let user = try await clients.identity.user(id: id)
            if user == nil || user?.active != true || user?.companyIds.contains(record.tenantId) != true
                || user?.roles.contains(Role.healthCarer) != true {
                issues.append(CareIssue("healthCarerId", "must be a user of the client's company with the \(Role.healthCarer) role"))
            }
            fields["healthCarerId"] = .string(id.lowercasedString)
        }
        for key in ["serviceType", "status"] { if let value = input[key] { fields[key] = .string(value) } }
        guard issues.isEmpty else { throw CareValidationFailure(issues) }
        return fields
    }

    private func answer(_ request: HTTPRequest, _ staff: StaffCaller, _ record: ClientRecord, _ outcome: ClientCommandResponse,
                        zone: TimeZone, status: HTTPStatus, message: String) async throws -> HTTPResponse {
        let (_, pending) = try await clients.settled(record, outcome)
        try await clients.audit.record(staff, route: CareClientsAPI.route(request), clients: [record], sections: Self.sections,
                                       outcome: .allowed)
        guard let written = outcome.careRecord, let appointment = Self.appointment(written, clientId: record.id) else {
            return CareClientView.ok(.null, status: status, message: message).carrying(pending)
        }
        let names = try await carerNames([appointment.carerId])
        var offsets = CareAppointmentTime.Offsets(zone: zone)
        return CareClientView.ok(Self.appointment(appointment, offsets: &offsets, names: names), status: status, message: message)
            .carrying(pending)
    }

    /// The names of the carers, by id (a carer no longer known shows no name).
    private func carerNames(_ ids: Set<UUID>) async throws -> [UUID: String] {
        try await clients.identity.userNames(ids: ids)
    }

    static func appointment(_ record: CareRecord, clientId: UUID) -> CareAppointment? {
        guard let carer = record.text("healthCarerId").flatMap(UUID.init(canonical:)),
              let startsAt = record.text("startsAt").flatMap(Timestamp.parse),
              let endsAt = record.text("endsAt").flatMap(Timestamp.parse) else { return nil }
        return CareAppointment(id: record.id, clientId: clientId, carerId: carer, startsAt: startsAt, endsAt: endsAt,
                               serviceType: record.text("serviceType") ?? "", status: record.text("status") ?? "scheduled")
    }

    static func appointment(_ appointment: CareAppointment, offsets: inout CareAppointmentTime.Offsets,
                            names: [UUID: String]) -> JSONValue {
        let start = offsets.local(appointment.startsAt)
        let end = offsets.local(appointment.endsAt)
        return .object([
            "id": .string(appointment.id.lowercasedString), "date": .string(start.date), "startTime": .string(start.time),
            "endTime": .string(end.time),
            "healthCarer": .object(["id": .string(appointment.carerId.lowercasedString),
                                    "name": names[appointment.carerId].map(JSONValue.string) ?? .null]),
            "status": .string(appointment.status), "serviceType": .string(appointment.serviceType),
        ])
    }
}
