import CRM
import Errors
import Foundation
import HTTP
import JSON
import Postgres
import ServiceRuntime

/// crm-sync's internal routes (the internal token required): a company's configuration (the
/// gateway's `GET/PUT /api/admin/crm`), the sync's status per company, dead letters and
/// their retry (`clientctl crm`).
struct CRMSyncRoutes: Sendable {
    static let maxConfigurationBodyBytes = 16 * 1024
    static let maxAccessTokenBytes = 4096

    let token: InternalToken
    let pool: PostgresPool
    let companies: CRMCompanyStore
    let sender: CRMSyncSender
    let addressPolicy: CRMAddressPolicy

    func register(on setup: ServiceSetup) {
        setup.route(.GET, "/v1/crm/companies/:tenantId", token.guarding { request in
            let tenantId = try Self.uuid(request.pathParameters["tenantId"], "tenantId")
            let view = try await companies.view(tenantId: tenantId) ?? CRMCompanyView(enabled: false, baseURL: "", hasAccessToken: false)
            return .json(status: .ok, object: Self.json(view))
        })
        setup.route(.PUT, "/v1/crm/companies/:tenantId", options: RouteOptions(maxBodyBytes: Self.maxConfigurationBodyBytes),
                    token.guarding { request in
            let tenantId = try Self.uuid(request.pathParameters["tenantId"], "tenantId")
            let body = try await request.decodeJSON(maxBytes: Self.maxConfigurationBodyBytes, CRMConfigurationRequest.init(json:))
            let enabled = body.enabled
            let accessToken = body.accessToken
            let baseURL: CRMBaseURL
            do throws(CRMEndpointError) {
                baseURL = try CRMBaseURL(body.baseURL, allowsInsecure: companies.allowsInsecure)
                _ = try addressPolicy.resolve(host: baseURL.host, port: baseURL.port)
            } catch {
                throw ClienteleError(.invalidArgument, error.description, context: ["field": "baseUrl"])
            }
            if let accessToken {
                guard !accessToken.isEmpty, accessToken.utf8.count <= Self.maxAccessTokenBytes,
                      accessToken.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 }) else {
                    throw ClienteleError(.invalidArgument, "accessToken must be 1 to \(Self.maxAccessTokenBytes) printable ASCII characters",
                                         context: ["field": "accessToken"])
                }
            }
            let view = try await companies.save(tenantId: tenantId, enabled: enabled, baseURL: baseURL, accessToken: accessToken)
            sender.requestLoad()
            return .json(status: .ok, object: Self.json(view))
        })
        // The admin client view's `crmSync`: the client's sync state in its company's CRM.
        setup.route(.GET, "/v1/crm/clients/:id", token.guarding { request in
            let clientId = try Self.uuid(request.pathParameters["id"], "id")
            let tenantId = try Self.uuid(request.queryParameter("tenantId"), "tenantId")
            let rows = try await pool.query("""
                SELECT COALESCE(co.enabled, false), c.crm_version, c.synced_version, c.attempts, c.dead_version IS NOT NULL,
                    c.last_error, c.synced_at
                FROM crm_contacts c LEFT JOIN crm_companies co ON co.tenant_id = c.tenant_id
                WHERE c.id = $1 AND c.tenant_id = $2
                """, [clientId, tenantId])
            guard let row = rows.first else { throw ClienteleError(.notFound, "Client not found") }
            let enabled: Bool = try row.decode(0)
            let crmVersion: Int64 = try row.decode(1)
            let synced: Int64 = try row.decode(2)
            let attempts: Int = try row.decode(3)
            let state = if try row.decode(4, as: Bool.self) { "dead_letter" } else if !enabled { "disabled" }
                else if synced >= crmVersion { "synced" } else if attempts > 0 { "retrying" } else { "pending" }
            let syncedAt = try row.decodeIfPresent(6, as: Date.self)
            return .json(status: .ok, object: [
                "state": .string(state), "lastSyncedVersion": synced > 0 ? .int(synced) : .null,
                "lastError": try row.decodeIfPresent(5, as: String.self).map(JSONValue.string) ?? .null,
                "syncedAt": syncedAt.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null,
            ])
        })
        setup.route(.GET, "/v1/crm/status", token.guarding { _ in
            let rows = try await pool.query("""
                SELECT co.tenant_id, co.enabled,
                    count(c.id) FILTER (WHERE NOT c.deleted OR c.synced_version > 0),
                    count(c.id) FILTER (WHERE c.crm_version > c.synced_version AND c.dead_version IS NULL),
                    count(c.id) FILTER (WHERE c.dead_version IS NOT NULL),
                    max(c.synced_at)
                FROM crm_companies co LEFT JOIN crm_contacts c ON c.tenant_id = co.tenant_id
                GROUP BY co.tenant_id, co.enabled ORDER BY co.tenant_id
                """)
            var companies: [JSONValue] = []
            for row in rows {
                let lastSynced = try row.decodeIfPresent(5, as: Date.self)
                companies.append([
                    "tenantId": .string(try row.decode(0, as: UUID.self).uuidString.lowercased()), "enabled": .bool(try row.decode(1)),
                    "clients": .int(try row.decode(2)), "pending": .int(try row.decode(3)), "deadLetters": .int(try row.decode(4)),
                    "lastSyncedAt": lastSynced.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null,
                ])
            }
            return .json(status: .ok, object: ["companies": .array(companies)])
        })
        setup.route(.GET, "/v1/crm/dead-letters", token.guarding { request in
            let tenant = try request.queryParameter("tenantId").map { try Self.uuid($0, "tenantId") }
            let rows = try await pool.query("""
                SELECT tenant_id, id, dead_version, attempts, dead_reason FROM crm_contacts
                WHERE dead_version IS NOT NULL AND ($1::uuid IS NULL OR tenant_id = $1) ORDER BY tenant_id, id LIMIT 1000
                """, [tenant])
            var letters: [JSONValue] = []
            for row in rows {
                letters.append([
                    "tenantId": .string(try row.decode(0, as: UUID.self).uuidString.lowercased()),
                    "clientId": .string(try row.decode(1, as: UUID.self).uuidString.lowercased()),
                    "version": .int(try row.decode(2)), "attempts": .int(Int64(try row.decode(3, as: Int.self))),
                    "reason": .string(try row.decode(4)),
                ])
            }
            return .json(status: .ok, object: ["deadLetters": .array(letters)])
        })
        setup.route(.POST, "/v1/crm/dead-letters/retry", token.guarding { request in
            let body = try await request.decodeJSON(maxBytes: 4096, CRMRetryRequest.init(json:))
            let tenant = try body.tenantId.map { try Self.uuid($0, "tenantId") }
            let client = try body.clientId.map { try Self.uuid($0, "clientId") }
            let rows = try await pool.query("""
                UPDATE crm_contacts SET dead_version = NULL, dead_reason = NULL, attempts = 0, last_error = NULL
                WHERE dead_version IS NOT NULL AND ($1::uuid IS NULL OR tenant_id = $1) AND ($2::uuid IS NULL OR id = $2)
                RETURNING tenant_id, id
                """, [tenant, client])
            for row in rows { sender.retry(tenantId: try row.decode(0), clientId: try row.decode(1)) }
            return .json(status: .ok, object: ["retried": .int(Int64(rows.count))])
        })
    }

    static func json(_ view: CRMCompanyView) -> JSONValue {
        ["enabled": .bool(view.enabled), "baseUrl": view.baseURL.isEmpty ? .null : .string(view.baseURL),
         "hasAccessToken": .bool(view.hasAccessToken)]
    }

    static func uuid(_ text: String?, _ field: String) throws -> UUID {
        guard let text, let id = UUID(canonical: text) else {
            throw ClienteleError(.invalidArgument, "\(field) must be a UUID", context: ["field": field])
        }
        return id
    }
}

/// `PUT /v1/crm/companies/:tenantId`'s body.
struct CRMConfigurationRequest: Sendable {
    var enabled: Bool
    var baseURL: String
    /// nil keeps the stored token.
    var accessToken: String?

    init(json value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        enabled = try object.bool("enabled")
        baseURL = try object.string("baseUrl")
        accessToken = try object.optionalString("accessToken")
    }
}

/// `POST /v1/crm/dead-letters/retry`'s body: every dead letter, a company's, or one client's.
struct CRMRetryRequest: Sendable {
    var tenantId: String?
    var clientId: String?

    init(json value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        tenantId = try object.optionalString("tenantId")
        clientId = try object.optionalString("clientId")
    }
}
