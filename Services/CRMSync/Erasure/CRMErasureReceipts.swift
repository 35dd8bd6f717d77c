import Errors
import Foundation
import HTTP
import InternalAPI
import Postgres
import ServiceRuntime

/// Tells the command service's erasure receipts that the CRM forgot a client: the `crm` step
/// `done` once the company's CRM acknowledged the client's gdpr-delete.
///
/// What to tell is read from `crm_contacts` (erased, acknowledged, not yet reported), so a
/// report the command service could not take (unreachable, restarting) is made again at the
/// next round; a report repeats nothing there (a marked step keeps its first mark). Where a
/// company's sync is off, the gateway marks the step `not_applicable` at the erasure.
struct CRMErasureReceipts: Sendable {
    let pool: PostgresPool
    let commandService: String
    let token: InternalToken
    let http: HTTPClient
    let logger: Logger

    /// The most clients one round reports.
    static let perRound = 100

    /// Reports the erasures acknowledged and not yet reported; how many it reported.
    @discardableResult
    func reportAcknowledged() async -> Int {
        let ids: [UUID]
        do {
            ids = try await pool.query("""
                SELECT id FROM crm_contacts WHERE erased AND NOT erasure_reported AND synced_version >= crm_version LIMIT $1
                """, [Self.perRound]).map { try $0.decode(0, as: UUID.self) }
        } catch {
            logger.warning("reading CRM erasures to report failed", ["error": String(describing: error)])
            return 0
        }
        var reported = 0
        for id in ids {
            do {
                try await markDone(id)
                try await pool.execute("UPDATE crm_contacts SET erasure_reported = true WHERE id = $1", [id])
                reported += 1
            } catch {
                logger.warning("reporting a CRM erasure failed; told again next round",
                               ["client_id": id.uuidString.lowercased(), "error": String(describing: error)])
            }
        }
        return reported
    }

    private func markDone(_ clientId: UUID) async throws {
        let body = try InternalJSON.encoder().encode(ClientErasureStepUpdate(step: .crm, state: .done))
        let response = try await http.internalPOST(commandService + InternalPaths.clientErasureSteps(clientId), token: token,
                                                    json: Array(body))
        // 404: no receipt (an erasure older than receipts): nothing to tell.
        guard response.status.code == 200 || response.status.code == 404 else {
            throw ClienteleError(.unavailable, "The command service did not take the erasure step",
                                 internalDetail: "command-service answered \(response.status.code)")
        }
    }
}
