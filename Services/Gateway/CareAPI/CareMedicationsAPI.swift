import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import InternalAPI
import JSON
import ServiceRuntime

/// The care API's medications: a client's medications, allergies and medical history
/// (`care.medical.read`), and their changes (`care.medical.write`); both also need the
/// client's `care.read` / `care.write` reach.
///
/// A medication is `{id, medicineName, dose, frequency, startDate, reviewDate, status,
/// stopDate}`; `reviewDate` is on or after `startDate`. `DELETE` stops one: it stays, with
/// `status: stopped` and the company's today as `stopDate`, listed under `stopped`. Allergies
/// and medical history are the profile's `medicalInfo.allergies` and `medicalInfo.medicalHistory`
/// (one truth, two views): set here (`PUT /api/medication/client/:clientId`) or through the
/// profile. Reads and write answers leave a record in the care access audit (`["medications"]`).
struct CareMedicationsAPI: Sendable {
    let clients: CareClientsAPI

    static let listPath = "/api/medication/client/:clientId"
    static let createPath = "/api/medication/create"
    static let itemPath = "/api/medication/:id"
    static let fields = ["medicineName", "dose", "frequency", "startDate", "reviewDate"]
    static let sections = ["medications"]
    static let notFound = ClienteleError(.notFound, "Medication not found")

    func register(on setup: ServiceSetup) {
        let options = RouteOptions(maxBodyBytes: CareRecordInput.maxBodyBytes)
        setup.route(.GET, Self.listPath, clients.rendering(list))
        setup.route(.PUT, Self.listPath, options: options, clients.rendering(setMedicalInfo))
        setup.route(.POST, Self.createPath, options: options, clients.rendering(create))
        setup.route(.PUT, Self.itemPath, options: options, clients.rendering(update))
        setup.route(.DELETE, Self.itemPath, clients.rendering(stop))
    }

    /// The caller, if it may read (`write`: change) medical information.
    private func caller(_ request: HTTPRequest, write: Bool) async throws -> (StaffCaller, CareAccess) {
        let (staff, access) = try await clients.caller(request, needs: write ? Permission.careWrite : Permission.careRead)
        guard access.can(write ? Permission.careMedicalWrite : Permission.careMedicalRead) else { throw CareClientsAPI.forbidden }
        return (staff, access)
    }

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (staff, access) = try await caller(request, write: false)
        let record = try await clients.client(request.pathParameters["clientId"], request, staff, access, needs: Permission.careRead)
        try await clients.audit.record(staff, route: CareClientsAPI.route(request), clients: [record], sections: Self.sections,
                                       outcome: .allowed)
        return CareClientView.ok(Self.view(record))
    }

    /// `{allergies?, medicalHistory?}`: the profile's medical information, as a profile update.
    func setMedicalInfo(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (staff, access) = try await caller(request, write: true)
        let (bytes, body) = try await CareRecordInput.body(request)
        var issues: [CareIssue] = []
        for key in body.keys.sorted() where key != "allergies" && key != "medicalHistory" {
            issues.append(CareIssue(key, "is not a known field"))
        }
        guard issues.isEmpty else { throw CareValidationFailure(issues) }
        let record = try await clients.client(request.pathParameters["clientId"], request, staff, access, needs: Permission.careWrite)
        let patch = try CareClientInput.update([CareSchema.medicalInfo: .object(body)], current: record.profile.care)
        var changes = ClientProfileChanges()
        changes.care = patch
        let idempotency = try clients.idempotency(request, body: bytes, companyId: record.tenantId, staff)
        let outcome = try await clients.commands.send(ClientCommandRequest(command: .update, clientId: record.id, tenantId: record.tenantId,
                                                                           changes: changes, actor: clients.actor(staff),
                                                                           idempotency: idempotency))
        let (fresh, pending) = try await clients.settled(outcome.client ?? record, outcome)
        try await clients.audit.record(staff, route: CareClientsAPI.route(request), clients: [fresh], sections: Self.sections,
                                       outcome: .allowed)
        return CareClientView.ok(Self.view(fresh), message: "Medical information updated successfully").carrying(pending)
    }

    func create(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (staff, access) = try await caller(request, write: true)
        let (bytes, body) = try await CareRecordInput.body(request)
        var issues: [CareIssue] = []
        let clientId = CareRecordInput.clientId(body, issues: &issues)
        let fields = CareRecordInput.fields(body, .medication, accepted: Self.fields, extra: ["clientId"],
                                            required: ["medicineName", "dose", "frequency", "startDate"], issues: &issues)
        issues += Self.dateOrder(fields, current: nil)
        guard issues.isEmpty else { throw CareValidationFailure(issues) }
        let record = try await clients.client(clientId, request, staff, access, needs: Permission.careWrite)
        let outcome = try await clients.send(CareRecordChange(kind: .medication, change: .added, id: UUID(), fields: fields),
                                             for: record, staff, request, body: bytes)
        return try await answer(request, staff, record, outcome, status: .created, message: "Medication created successfully")
    }

    func update(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (staff, access) = try await caller(request, write: true)
        let id = try CareRecordInput.id(request, "id", notFound: Self.notFound)
        let (bytes, body) = try await CareRecordInput.body(request)
        var issues: [CareIssue] = []
        let fields = CareRecordInput.fields(body, .medication, accepted: Self.fields, issues: &issues)
        guard issues.isEmpty else { throw CareValidationFailure(issues) }
        let record = try await clients.client(holding: id, appointment: false, notFound: Self.notFound, request, staff, access,
                                              needs: Permission.careWrite)
        let current = Self.medications(record).first { $0["id"] == .string(id.lowercasedString) }
        let order = Self.dateOrder(fields, current: current)
        guard order.isEmpty else { throw CareValidationFailure(order) }
        let outcome = try await clients.send(CareRecordChange(kind: .medication, change: .changed, id: id, fields: fields),
                                             for: record, staff, request, body: bytes)
        return try await answer(request, staff, record, outcome, status: .ok, message: "Medication updated successfully")
    }

    /// Stops the medication: kept, with `status: stopped` and today's date (in the company's
    /// time zone) as `stopDate`; stopping a stopped one changes nothing.
    func stop(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (staff, access) = try await caller(request, write: true)
        let id = try CareRecordInput.id(request, "id", notFound: Self.notFound)
        let record = try await clients.client(holding: id, appointment: false, notFound: Self.notFound, request, staff, access,
                                              needs: Permission.careWrite)
        let current = Self.medications(record).first { $0["id"] == .string(id.lowercasedString) }
        var fields: [String: JSONValue] = ["status": "stopped"]
        if current?["status"] != "stopped" {
            let zone = try await clients.timeZones.zone(of: record.tenantId)
            fields["stopDate"] = .string(CareAppointmentTime.local(Date(), in: zone).date)
        }
        // The route takes no body: the key's request hash covers the method and path.
        let outcome = try await clients.send(CareRecordChange(kind: .medication, change: .changed, id: id, fields: fields),
                                             for: record, staff, request, body: [])
        return try await answer(request, staff, record, outcome, status: .ok, message: "Medication stopped successfully")
    }

    /// `reviewDate` before `startDate` (given, or the medication's), as an issue.
    static func dateOrder(_ fields: [String: JSONValue], current: JSONValue?) -> [CareIssue] {
        let start = fields["startDate"] ?? current?["startDate"]
        let review = fields["reviewDate"] ?? current?["reviewDate"]
        if case .string(let start)? = start, case .string(let review)? = review, CareSchema.isDate(start), CareSchema.isDate(review),
           review < start {
            return [CareIssue("reviewDate", "must be on or after startDate")]
        }
        return []
    }

    private func answer(_ request: HTTPRequest, _ staff: StaffCaller, _ record: ClientRecord, _ outcome: ClientCommandResponse,
                        status: HTTPStatus, message: String) async throws -> HTTPResponse {
        let (fresh, pending) = try await clients.settled(record, outcome)
        try await clients.audit.record(staff, route: CareClientsAPI.route(request), clients: [fresh], sections: Self.sections,
                                       outcome: .allowed)
        let data = outcome.careRecord.map { Self.medication($0.json) } ?? .null
        return CareClientView.ok(data, status: status, message: message).carrying(pending)
    }

    static func medications(_ record: ClientRecord) -> [JSONValue] {
        CareRecordsView.array(record.careRecords?["medications"])
    }

    /// `{medications, stopped, allergies, medicalHistory}`.
    static func view(_ record: ClientRecord) -> JSONValue {
        let all = medications(record).map(medication)
        let medical = record.profile.care?.sections[CareSchema.medicalInfo]
        return .object([
            "medications": .array(all.filter { $0["status"] != "stopped" }),
            "stopped": .array(all.filter { $0["status"] == "stopped" }),
            "allergies": medical?["allergies"] ?? .array([]),
            "medicalHistory": medical?["medicalHistory"] ?? .null,
        ])
    }

    static func medication(_ stored: JSONValue) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for key in ["id", "medicineName", "dose", "frequency", "startDate", "reviewDate", "status", "stopDate"] {
            object[key] = stored[key] ?? .null
        }
        return .object(object)
    }
}
