import ClientDomain
import Foundation
import Identity
import InternalAPI
import ServiceRuntime

/// Writes the care access audit's records for the care routes: who (user id, roles), which
/// clients, which sections, which route, the request and correlation ids, allowed or denied.
///
/// Each read awaits its record's commit (`CareAccessLog.append`, group-committed) before it
/// answers, so no answer leaves without its record; a record that cannot be written fails the
/// read (503), it is not skipped.
struct CareAuditTrail: Sendable {
    let log: CareAccessLog
    var now: @Sendable () -> Date = { Date() }

    /// The request and correlation ids of the request being handled (for work that goes on
    /// outside its task, as an export's pages).
    static var requestContext: (requestId: String?, correlationId: String?) { (LogContext.requestId, LogContext.correlationId) }

    func record(_ staff: StaffCaller, route: String, clients: [ClientRecord], sections: [String],
                outcome: CareAccessRecord.Outcome, context: (requestId: String?, correlationId: String?) = requestContext) async throws {
        try await record(staff, route: route, companyId: clients.first?.tenantId, clientIds: clients.map(\.id),
                         clientNumbers: clients.compactMap(\.number), sections: sections, outcome: outcome, context: context)
    }

    /// The record of a read of the clients `clientIds` (numbered `clientNumbers`) of `companyId`.
    func record(_ staff: StaffCaller, route: String, companyId: UUID?, clientIds: [UUID], clientNumbers: [Int64],
                sections: [String], outcome: CareAccessRecord.Outcome,
                context: (requestId: String?, correlationId: String?) = requestContext) async throws {
        try await log.append(CareAccessRecord(
            at: now(), userId: staff.user.id, roles: staff.user.roles.sorted(), companyId: companyId, clientIds: clientIds,
            clientNumbers: clientNumbers, sections: sections, route: route, requestId: context.requestId,
            correlationId: context.correlationId, outcome: outcome))
    }
}
