import CRM
import Crypto
import Errors
import Foundation
import Postgres

/// Reads and writes `crm_companies`. Tokens are stored sealed with AES-256-GCM under
/// `CRM_SECRET_KEY`, the company's id as associated data; they are opened only to make a
/// call, and never answered, logged or put in an error.
struct CRMCompanyStore: Sendable {
    let pool: PostgresPool
    /// nil without `CRM_SECRET_KEY`: nothing can be configured or sent.
    let cipher: AESGCM?
    let allowsInsecure: Bool

    static let keyMissing = ClienteleError(.unavailable, "CRM sync is not configured on this server (CRM_SECRET_KEY is not set)")

    func view(tenantId: UUID) async throws -> CRMCompanyView? {
        let rows = try await pool.query("SELECT enabled, base_url, token_sealed IS NOT NULL FROM crm_companies WHERE tenant_id = $1",
                                        [tenantId])
        guard let row = rows.first else { return nil }
        return CRMCompanyView(enabled: try row.decode(0), baseURL: try row.decode(1), hasAccessToken: try row.decode(2))
    }

    /// Saves a company's configuration; `accessToken` nil keeps the stored one. Enabling
    /// needs a token (given now or stored before).
    func save(tenantId: UUID, enabled: Bool, baseURL: CRMBaseURL, accessToken: String?) async throws -> CRMCompanyView {
        guard let cipher else { throw Self.keyMissing }
        if enabled, accessToken == nil, try await view(tenantId: tenantId)?.hasAccessToken != true {
            throw ClienteleError(.invalidArgument, "accessToken is required to enable CRM sync", context: ["field": "accessToken"])
        }
        let sealed = accessToken.map { cipher.seal(Array($0.utf8), associatedData: Self.associatedData(tenantId)) }
        let rows = try await pool.query("""
            INSERT INTO crm_companies (tenant_id, enabled, base_url, token_sealed, updated_at)
            VALUES ($1, $2, $3, $4, now())
            ON CONFLICT (tenant_id) DO UPDATE SET enabled = EXCLUDED.enabled, base_url = EXCLUDED.base_url,
                token_sealed = COALESCE(EXCLUDED.token_sealed, crm_companies.token_sealed), updated_at = now()
            RETURNING token_sealed IS NOT NULL
            """, [tenantId, enabled, baseURL.text, sealed])
        return CRMCompanyView(enabled: enabled, baseURL: baseURL.text, hasAccessToken: try rows[0].decode(0))
    }

    /// Every enabled company's settings, tokens opened.
    func enabledCompanies() async throws -> [UUID: CRMCompanySettings] {
        var companies: [UUID: CRMCompanySettings] = [:]
        for row in try await pool.query("SELECT tenant_id, base_url, token_sealed FROM crm_companies WHERE enabled") {
            let tenantId: UUID = try row.decode(0)
            guard let baseURL = try? CRMBaseURL(try row.decode(1, as: String.self), allowsInsecure: allowsInsecure) else { continue }
            let token = try row.decodeIfPresent(2, as: [UInt8].self).flatMap {
                cipher?.open($0, associatedData: Self.associatedData(tenantId))
            }.map { String(decoding: $0, as: UTF8.self) }
            companies[tenantId] = CRMCompanySettings(tenantId: tenantId, enabled: true, baseURL: baseURL, accessToken: token)
        }
        return companies
    }

    static func associatedData(_ tenantId: UUID) -> [UInt8] { Array(tenantId.uuidString.lowercased().utf8) }
}
