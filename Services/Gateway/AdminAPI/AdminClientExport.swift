import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import InternalAPI
import ServiceRuntime

/// `GET /api/admin/clients/:clientId/export`: a client's own data (APP 12) as one JSON
/// document, for a caller with `clients.admin` and `clients.export` (granted to super-admin
/// and admin), answered as an attachment in the admin API's envelope.
///
/// - `faces`: the client as each API's `GET` shows it, rendered by that API's own adapter:
///   `leads` (`GET /api/clients/:id`'s `leads`), `admin` (`GET /api/admin/clients/:id`'s
///   `data`), `organization` (`GET /api/v1/clients/:id`'s `data`), `workspace`
///   (`GET /v1/workspace/:w/clients/:id`'s `client`) and `care` (`GET
///   /api/user/clientDetails/:id`'s `data`, every section, medical information included).
///   Every client is in every face (they read one client store), so none is null.
/// - `documents`: every attached document, listed (no bytes).
/// - `careRecords`: `goals` and `medications` as their care routes show them, `appointments`
///   (every status and date) as theirs do.
/// - `history`: every event of the client's stream, oldest first, from the command
///   service's event store (`ClientHistoryPage`): at most `maxHistoryEvents`, `truncated`
///   true when there are more.
/// - `accessLog`: the care access audit's records of the client (this export's own
///   included: it is recorded before the log is read), oldest first, at most
///   `maxAccessRecords`; each as the audit API shows it, `clientIds` narrowed to this client.
///
/// Another company's client, a missing one and a deleted one are 404, as in every API.
struct AdminClientExport: Sendable {
    let admin: AdminClientsAPI
    let leads: LeadsClientsAPI
    let care: CareClientsAPI
    let catalog: CustomFieldCatalog
    let commands: CommandClient
    let accessLog: CareAccessLog

    static let path = AdminClientsAPI.path + "/:clientId/export"
    /// The most history events one export lists.
    static let maxHistoryEvents = 10_000
    /// The most access records one export lists.
    static let maxAccessRecords = 10_000
    /// The access log is read in pages of this many records.
    static let accessPage = 1000
    static let forbidden = ClienteleError(.permissionDenied, "Export privileges required")

    func register(on setup: ServiceSetup) {
        setup.route(.GET, Self.path, APIErrorRendering.wrap(export, rendering: AdminClientView.error))
    }

    func export(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try AdminCaller(try await admin.authenticator.authenticate(request))
        guard caller.staff.can(Permission.clientsExport) else { throw Self.forbidden }
        let record = try await admin.client(request.pathParameters["clientId"], caller)
        let document = try await self.document(record, staff: caller.staff, route: CareClientsAPI.route(request))
        var response = AdminClientView.ok(["data": document])
        let name = record.number.map { "client_\($0)" } ?? record.id.lowercasedString
        response.headers.replaceOrAdd(name: "Content-Disposition", value: "attachment; filename=\"\(name)-export.json\"")
        response.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
        return response
    }

    /// The export of `record`, read for `staff` through `route` (recorded in the access log).
    func document(_ record: ClientRecord, staff: StaffCaller, route: String) async throws -> JSONValue {
        let sections = CareAccess(userId: staff.user.id, permissions: [Permission.careMedicalRead],
                                  companyIds: [record.tenantId]).visibleSections
        try await care.audit.record(staff, route: route, clients: [record], sections: ["export"] + sections, outcome: .allowed)
        async let faces = faces(record, careSections: sections)
        async let appointments = appointments(record)
        async let history = history(record)
        async let access = accessRecords(record)
        return .object([
            "exportedAt": .string(Timestamp.format(Date())),
            "client": .object([
                "id": .string(record.id.lowercasedString), "number": record.number.map(JSONValue.int) ?? .null,
                "companyId": .string(record.tenantId.lowercasedString), "version": .int(record.version),
            ]),
            "faces": try await faces,
            "documents": .array(record.documents.map(Self.document)),
            "careRecords": .object([
                "goals": .array(CareGoalsAPI.goals(record).map(CareGoalsAPI.goal)),
                "medications": CareMedicationsAPI.view(record),
                "appointments": .array(try await appointments),
            ]),
            "history": try await history,
            "accessLog": try await access,
        ])
    }

    private func faces(_ record: ClientRecord, careSections: [String]) async throws -> JSONValue {
        async let leadsContext = leads.context(for: [record])
        async let definitions = catalog.recent(record.tenantId)
        async let users = care.userNames(record)
        async let adminView = admin.view(record)
        let organization = try JSONParser.parse(OrganizationClientView.single(record).body)["data"] ?? .null
        let workspace = try JSONParser.parse(WorkspaceClientView.single(record, definitions: try await definitions).body)["client"] ?? .null
        return .object([
            "leads": LeadsClientView.client(record, try await leadsContext),
            "admin": await adminView,
            "organization": organization,
            "workspace": workspace,
            "care": CareClientView.details(record, sections: careSections, users: try await users),
        ])
    }

    /// `{id, name, type, use, documentType, size, sha256, attachedAt}`, oldest first.
    static func document(_ document: DocumentReference) -> JSONValue {
        .object([
            "id": .string(document.id.lowercasedString), "name": .string(document.name), "type": .string(document.contentType),
            "use": .string(document.use.rawValue), "documentType": document.documentType.map { .string($0.rawValue) } ?? .null,
            "size": .int(document.size), "sha256": .string(document.sha256),
            "attachedAt": .string(Timestamp.format(document.uploadedAt)),
        ])
    }

    private func appointments(_ record: ClientRecord) async throws -> [JSONValue] {
        let zone = try await care.timeZones.zone(of: record.tenantId)
        let appointments = try await care.search.appointments(CareAppointmentsQuery(clientId: record.id, tenantId: record.tenantId))
        let names = try await care.identity.userNames(ids: Set(appointments.map(\.carerId)))
        var offsets = CareAppointmentTime.Offsets(zone: zone)
        return appointments.map { CareAppointmentsAPI.appointment($0, offsets: &offsets, names: names) }
    }

    /// `{events: [{type, version, occurredAt, actor: {kind, id}, changes}], truncated}`.
    private func history(_ record: ClientRecord) async throws -> JSONValue {
        var events: [JSONValue] = []
        var after: Int64 = 0
        var truncated = false
        while true {
            let page = try await commands.history(of: record.id, tenantId: record.tenantId, after: after)
            for entry in page.events {
                guard events.count < Self.maxHistoryEvents else {
                    truncated = true
                    break
                }
                events.append(.object([
                    "type": .string(entry.type), "version": .int(entry.version),
                    "occurredAt": .string(Timestamp.format(entry.occurredAt)),
                    "actor": .object(["kind": .string(entry.actor.kind.rawValue), "id": .string(entry.actor.id)]),
                    "changes": entry.data,
                ]))
            }
            guard !truncated, let next = page.nextVersion else { break }
            after = next
        }
        return .object(["events": .array(events), "truncated": .bool(truncated)])
    }

    /// `{records: [...], truncated}`: the care access audit's records naming the client.
    private func accessRecords(_ record: ClientRecord) async throws -> JSONValue {
        guard let number = record.number else { return .object(["records": .array([]), "truncated": false]) }
        var records: [JSONValue] = []
        var query = CareAccessLog.Query(companyIds: [record.tenantId], clientNumber: number, limit: Self.accessPage)
        while true {
            let page = try await accessLog.records(query)
            for entry in page {
                var shown = entry.json
                if case .object(var fields) = shown {
                    fields["clientIds"] = .array([.string(String(number))])
                    shown = .object(fields)
                }
                records.append(shown)
            }
            if records.count >= Self.maxAccessRecords {
                return .object(["records": .array(Array(records.prefix(Self.maxAccessRecords))), "truncated": true])
            }
            guard page.count == query.limit, let last = page.last?.id else { break }
            query.after = last
        }
        return .object(["records": .array(records), "truncated": false])
    }
}
