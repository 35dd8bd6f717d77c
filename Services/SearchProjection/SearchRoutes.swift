import Errors
import Foundation
import HTTP
import InternalAPI
import SearchReadModel
import ServiceRuntime

/// The search projection's own internal routes: list, get and batch lookup (the routes every
/// projection service has are `ProjectionRoutes`).
struct SearchRoutes: Sendable {
    /// The largest batch lookup body: `TenantClientId.maxPerLookup` entries take about 12 KiB.
    static let maxLookupBodyBytes = 32 * 1024

    let search: ClientSearch
    /// Every route requires the internal token: only the gateway and clientctl call them.
    let token: InternalToken
    /// The care exports streaming now (`CareExportStream.concurrentExports` at most).
    let exports = InFlightLimit(limit: CareExportStream.concurrentExports, what: "exports")

    func register(on setup: ServiceSetup) {
        setup.route(.GET, InternalPaths.clients, token.guarding { request in
            let query = try ClientListParameters.query(from: request)
            return HTTPResponse.json(status: .ok, body: try await search.list(query).internalJSONBytes)
        })
        setup.route(.GET, InternalPaths.clientPages, token.guarding { request in
            let parameters = ClientListParameters.firstValues(request)
            let query = try ClientCursorQuery { parameters[$0] }
            return HTTPResponse.json(status: .ok, body: try await search.page(query).internalJSONBytes)
        })
        setup.route(.GET, InternalPaths.careExport, token.guarding { request in
            try await CareExportStream.response(search, try ClientListParameters.query(from: request), running: exports)
        })
        // Get and visibility run one primary-key lookup each: their tasks stay on the event loop.
        let onLoop = RouteOptions(runsOnEventLoop: true)
        setup.route(.GET, InternalPaths.clients + "/:id", options: onLoop, token.guarding { request in
            let id = try Self.clientId(request)
            let tenantId = try ClientListParameters.uuid(request, "tenantId")
            guard let record = try await search.client(id: id, tenantId: tenantId) else {
                throw ClienteleError(.notFound, "Client not found")
            }
            return HTTPResponse.json(status: .ok, body: record.internalJSONBytes)
        })
        setup.route(.GET, InternalPaths.careAppointments, token.guarding { request in
            let query = try CareAppointmentsQuery { request.queryParameter($0) }
            let appointments = try await search.appointments(query)
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"],
                                body: CareAppointment.wireBytes(appointments))
        })
        setup.route(.GET, InternalPaths.carerClients, token.guarding { request in
            let carerId = try ClientListParameters.uuid(request, "carerId")
            let tenants = try ClientListQuery.TenantScope { request.queryParameter($0) }
            guard case .tenants(let ids) = tenants else {
                throw ClienteleError(.invalidArgument, "The query parameter tenantId is required", context: ["parameter": "tenantId"])
            }
            let clients = try await search.carerClients(carerId: carerId, tenantIds: ids)
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: CarerClient.wireBytes(clients))
        })
        // The gateway's coalesced single-client reads: one statement per batch, on the loop too.
        let lookupOptions = RouteOptions(maxBodyBytes: Self.maxLookupBodyBytes, runsOnEventLoop: true)
        setup.route(.POST, InternalPaths.clientLookups, options: lookupOptions, token.guarding { request in
            let lookups = try await request.decodeJSON(maxBytes: Self.maxLookupBodyBytes) { value throws(JSONFieldError) in
                try TenantClientId.lookups(fromRequest: value)
            }
            return HTTPResponse.json(status: .ok, body: TenantClientId.answerJSON(try await search.clients(lookups)))
        })
    }

    static func clientId(_ request: HTTPRequest) throws -> UUID {
        guard let text = request.pathParameters["id"], let id = UUID(canonical: text) else {
            throw ClienteleError(.notFound, "Client not found")
        }
        return id
    }
}
