import Coordination
import CRM
import Errors
import Foundation
import HTTP
import JSON
import Postgres
import ServiceRuntime
import Synchronization
import TLS

/// Sends each enabled company's pending changes to its CRM, by the rules of
/// `CRMSyncSchedule`, and stores what the CRM acknowledged.
///
/// It loads pending rows of `crm_contacts` (at most `loadPerCompany` per company at a time)
/// into the schedule when the log brought changes, when a configuration changed, and every
/// few seconds; it runs up to `maxConcurrentCalls` calls at once (one per company). After
/// each call the effects are written to `crm_contacts`: an acknowledged version
/// (`synced_version`, the record id), a failed try (`attempts`, `last_error`), a dead letter.
/// What was sent but not yet stored as acknowledged is sent again after a crash, and
/// changes nothing in the CRM (an upsert of the same values; an archive of an archived
/// record).
///
/// Each call resolves the company's host and checks every address (`CRMAddressPolicy`)
/// before connecting, then connects to a checked address. The token goes only into the
/// call's `Authorization` header: never into a log line or a stored error.
final class CRMSyncSender: Service {
    struct Configuration: Sendable {
        var maxConcurrentCalls = 16
        var requestTimeout: Duration = .seconds(10)
        var loadPerCompany = 1000
        /// A full load of every enabled company's pending rows at least this often (a safety
        /// net: changes arrive with the commits that apply them, and a company whose queue
        /// ran dry loads its next rows at once).
        var reloadInterval: Duration = .seconds(30)
        var policy = CRMSyncPolicy()
        var addressPolicy = CRMAddressPolicy(allowsPrivateAddresses: false)
        /// Trust for https CRMs (the system's certificate authorities, or `CRM_TLS_CA_FILE`'s).
        var tls: TLSContext?
    }

    let name = "crm-sender"
    let configuration: Configuration
    let pool: PostgresPool
    let companies: CRMCompanyStore
    let logger: Logger
    /// Where acknowledged gdpr-deletes are reported (the erasure receipts' `crm` step).
    let erasures: CRMErasureReceipts?
    private let http: HTTPClient
    private let schedule: Mutex<CRMSyncSchedule>
    private let settings = Mutex<[UUID: CRMCompanySettings]>([:])
    private let wakeup = RelayWakeup()
    /// What to load before the next calls.
    struct LoadRequest {
        /// Settings and every enabled company's pending rows.
        var everything = true
        /// Companies whose queue ran dry (more pending rows may wait beyond the last load's limit).
        var companies: Set<UUID> = []
        /// Clients whose rows a commit changed.
        var clients: Set<UUID> = []

        var isEmpty: Bool { !everything && companies.isEmpty && clients.isEmpty }
    }

    private let loadRequest = Mutex(LoadRequest())
    private let callsInFlight = Mutex(0)
    private let changes: Counter
    private let callSeconds: Histogram

    init(configuration: Configuration, pool: PostgresPool, companies: CRMCompanyStore, logger: Logger, metrics: MetricsRegistry,
         erasures: CRMErasureReceipts? = nil) {
        self.erasures = erasures
        self.configuration = configuration
        self.pool = pool
        self.companies = companies
        self.logger = logger
        self.schedule = Mutex(CRMSyncSchedule(policy: configuration.policy))
        self.http = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: configuration.requestTimeout, retries: 0,
                                                                      tls: configuration.tls))
        self.changes = metrics.counter("clientele_crm_changes_total",
                                       help: "Client changes by what became of them: synced, retrying (a failed or rate-limited call), dead_lettered.",
                                       labels: ["outcome"])
        self.callSeconds = metrics.histogram("clientele_crm_call_seconds", help: "Time of one call to a company's CRM, by its outcome.",
                                             labels: ["outcome"])
        metrics.collector("clientele_crm_pending_clients", help: "Clients of a company with a change the CRM does not hold yet (waiting, in flight or dead-lettered), as loaded.") { [weak self] in
            guard let self else { return [] }
            let tenants = self.settings.withLock { Array($0.keys) }
            return self.schedule.withLock { schedule in
                tenants.map { (["company": $0.uuidString.lowercased()], Double(schedule.pendingClients(tenantId: $0))) }
            }
        }
    }

    /// Asks for a load of the settings and every pending row (a configuration changed, a
    /// dead letter was released).
    func requestLoad() {
        loadRequest.withLock { $0.everything = true }
        wakeup.signal()
    }

    /// Asks for a load of these clients' rows (a commit applied events of theirs).
    func requestLoad(clients: some Sequence<UUID>) {
        loadRequest.withLock { $0.clients.formUnion(clients) }
        wakeup.signal()
    }

    /// Releases a client's dead letter in memory (the caller cleared it in the database).
    func retry(tenantId: UUID, clientId: UUID) {
        _ = schedule.withLock { $0.retry(tenantId: tenantId, clientId: clientId) }
        requestLoad()
    }

    func run() async throws {
        var backoff = Backoff(initial: .milliseconds(200))
        var lastLoad = ContinuousClock.now
        // A stop request ends the wait at once; the calls in flight finish (the group waits for them).
        GracefulShutdown.onRequest { [wakeup] in wakeup.signal() }
        await withDiscardingTaskGroup { group in
            while !GracefulShutdown.isRequested && !Task.isCancelled {
                var request = loadRequest.withLock { request in
                    defer { request = LoadRequest(everything: false) }
                    return request
                }
                if ContinuousClock.now - lastLoad >= configuration.reloadInterval { request.everything = true }
                if !request.isEmpty {
                    do {
                        try await load(request)
                        if request.everything {
                            lastLoad = ContinuousClock.now
                            await erasures?.reportAcknowledged()
                        }
                        backoff.reset()
                    } catch {
                        logger.warning("loading pending CRM changes failed; retrying", ["error": String(describing: error)])
                        loadRequest.withLock { $0.everything = true }
                        await backoff.pause()
                        continue
                    }
                }
                let now = ContinuousClock.now
                while callsInFlight.withLock({ $0 }) < configuration.maxConcurrentCalls,
                      let batch = schedule.withLock({ $0.nextBatch(now: now) }) {
                    callsInFlight.withLock { $0 += 1 }
                    group.addTask {
                        await self.send(batch)
                        self.callsInFlight.withLock { $0 -= 1 }
                        self.wakeup.signal()
                    }
                }
                var pause = configuration.reloadInterval
                if let retry = schedule.withLock({ $0.earliestRetry() }) { pause = min(pause, max(retry - now, .milliseconds(1))) }
                await wakeup.wait(upTo: pause)
            }
        }
    }

    /// Loads pending rows into the schedule: with `request.everything`, the settings (companies
    /// no longer enabled are dropped from the schedule) and every enabled company's rows (at
    /// most `loadPerCompany` each); else the rows of the companies and clients it names.
    func load(_ request: LoadRequest) async throws {
        var dropped: [UUID] = []
        if request.everything {
            let enabled = try await companies.enabledCompanies()
            dropped = settings.withLock { current in
                defer { current = enabled }
                return current.keys.filter { enabled[$0] == nil }
            }
        }
        let enabled = settings.withLock { Array($0.keys) }
        var rows: [PostgresRow] = []
        let columns = "c.id, c.tenant_id, c.crm_version, c.profile::text, c.deleted, c.synced_version, c.object_id, c.erased"
        let tenants = request.everything ? enabled : enabled.filter(request.companies.contains)
        if !tenants.isEmpty {
            rows += try await pool.query("""
                SELECT \(columns) FROM unnest($1::uuid[]) AS t(tenant_id)
                CROSS JOIN LATERAL (
                    SELECT * FROM crm_contacts
                    WHERE tenant_id = t.tenant_id AND crm_version > synced_version AND dead_version IS NULL LIMIT $2
                ) c
                """, [PostgresArray(tenants), configuration.loadPerCompany])
        }
        if !request.everything, !request.clients.isEmpty, !enabled.isEmpty {
            rows += try await pool.query("""
                SELECT \(columns) FROM unnest($1::uuid[]) AS k(id)
                CROSS JOIN LATERAL (SELECT * FROM crm_contacts WHERE id = k.id LIMIT 1) c
                WHERE c.crm_version > c.synced_version AND c.dead_version IS NULL AND c.tenant_id = ANY ($2::uuid[])
                """, [PostgresArray(Array(request.clients)), PostgresArray(enabled)])
        }
        var loaded: [(change: CRMChange, synced: Int64, objectId: String?)] = []
        for row in rows {
            let clientId: UUID = try row.decode(0)
            let tenantId: UUID = try row.decode(1)
            let operation: CRMChange.Operation
            if try row.decode(7, as: Bool.self) {
                operation = .gdprDelete
            } else if try row.decode(4, as: Bool.self) {
                operation = .archive
            } else {
                let profile = try CRMContactState.profile(fromText: try row.decodeIfPresent(3, as: String.self) ?? "{}")
                operation = .upsert(CRMContactProperties(clientId: clientId, profile: profile))
            }
            loaded.append((CRMChange(tenantId: tenantId, clientId: clientId, version: try row.decode(2), operation: operation),
                           try row.decode(5), try row.decodeIfPresent(6)))
        }
        schedule.withLock { schedule in
            for tenant in dropped { schedule.forget(tenantId: tenant) }
            for entry in loaded {
                schedule.restore(tenantId: entry.change.tenantId, clientId: entry.change.clientId, syncedVersion: entry.synced,
                                 objectId: entry.objectId)
                schedule.enqueue(entry.change)
            }
        }
    }

    /// Makes one batch's call, applies its outcome to the schedule and stores the effects.
    func send(_ batch: CRMSyncBatch) async {
        let started = ContinuousClock.now
        let outcome = await call(batch)
        callSeconds.observe((ContinuousClock.now - started).inSeconds, Self.label(outcome))
        let (effects, drained) = schedule.withLock { schedule in
            let effects = schedule.complete(batch, outcome, now: .now)
            return (effects, schedule.pendingClients(tenantId: batch.tenantId) == 0)
        }
        for effect in effects {
            switch effect {
            case .synced: changes.increment(by: 1, "synced")
            case .retrying: changes.increment(by: 1, "retrying")
            case .deadLettered: changes.increment(by: 1, "dead_lettered")
            }
        }
        if case .accepted = outcome {} else {
            logger.warning("CRM call failed", ["company": batch.tenantId.uuidString.lowercased(), "kind": batch.kind.rawValue,
                                                "changes": String(batch.changes.count), "outcome": Self.label(outcome)])
        }
        do {
            try await store(effects, lastError: Self.lastError(outcome))
        } catch {
            // The CRM has the changes; the next load sends them again, which changes nothing there.
            logger.warning("storing CRM sync results failed", ["error": String(describing: error)])
        }
        if batch.kind == .gdprDelete, case .accepted = outcome { await erasures?.reportAcknowledged() }
        // The company's queue ran dry: its next pending rows (beyond the last load's limit) come now.
        if drained, case .accepted = outcome {
            loadRequest.withLock { _ = $0.companies.insert(batch.tenantId) }
        }
    }

    /// The call for `batch`: nothing to send is an acknowledgement without a call.
    func call(_ batch: CRMSyncBatch) async -> CRMCallOutcome {
        guard let company = settings.withLock({ $0[batch.tenantId] }) else {
            return .refused(reason: "CRM sync is not enabled for the company")
        }
        guard let token = company.accessToken else {
            return .refused(reason: "the stored access token cannot be read; set it again")
        }
        guard let body = HubSpotContacts.body(for: batch) else { return .accepted(objectIds: [:]) }
        let address: String
        do {
            address = try configuration.addressPolicy.resolve(host: company.baseURL.host, port: company.baseURL.port)
        } catch {
            return .refused(reason: error.description)
        }
        // The call goes to the address just checked; the Host field, TLS's server name and the
        // certificate check use the saved host.
        let url = company.baseURL.text + HubSpotContacts.path(for: batch.kind)
        let response: HTTPClientResponse
        do {
            response = try await http.execute(HTTPClientRequest(method: .POST, url: url, connectAddress: address.trimmingCharacters(in: ["[", "]"]), headers: [
                "Authorization": "Bearer \(token)", "Content-Type": "application/json", "Accept": "application/json",
            ], body: body, isRetryable: false))
        } catch let error as ClienteleError where error.code == .deadlineExceeded {
            return .transient(reason: "timed out")
        } catch let error as ClienteleError where error.message == HTTPClient.tlsFailureMessage {
            return .refused(reason: "TLS failed: " + (error.internalDetail ?? "no detail"))
        } catch {
            return .transient(reason: "connection failed")
        }
        let status = response.status.code
        let objectIds = batch.kind == .upsert && (200..<300).contains(status)
            ? HubSpotContacts.objectIds(fromUpsertAnswer: response.body) : [:]
        return CRMCallOutcome.classify(status: status, retryAfter: response.headers["Retry-After"],
                                       answer: String(decoding: response.body, as: UTF8.self), objectIds: objectIds,
                                       absentIsDone: batch.kind == .gdprDelete)
    }

    /// Writes the effects of one call to `crm_contacts` in one statement.
    func store(_ effects: [CRMSyncEffect], lastError: String?) async throws {
        guard !effects.isEmpty else { return }
        let records: [JSONValue] = effects.map { effect in
            switch effect {
            case .synced(let change, let objectId):
                ["id": .string(change.clientId.uuidString.lowercased()), "kind": "synced", "version": .int(change.version),
                 "object_id": objectId.map(JSONValue.string) ?? .null, "attempts": 0, "reason": .null]
            case .retrying(let change, let attempts, _):
                ["id": .string(change.clientId.uuidString.lowercased()), "kind": "retrying", "version": .int(change.version),
                 "object_id": .null, "attempts": .int(Int64(attempts)), "reason": lastError.map(JSONValue.string) ?? .null]
            case .deadLettered(let dead):
                ["id": .string(dead.change.clientId.uuidString.lowercased()), "kind": "dead", "version": .int(dead.change.version),
                 "object_id": .null, "attempts": .int(Int64(dead.attempts)), "reason": .string(dead.reason)]
            }
        }
        try await pool.execute("""
            UPDATE crm_contacts c SET
                synced_version = CASE WHEN e.kind = 'synced' THEN GREATEST(c.synced_version, e.version) ELSE c.synced_version END,
                object_id = CASE WHEN e.kind = 'synced' THEN e.object_id ELSE c.object_id END,
                synced_at = CASE WHEN e.kind = 'synced' THEN now() ELSE c.synced_at END,
                attempts = e.attempts,
                last_error = e.reason,
                dead_version = CASE WHEN e.kind = 'dead' THEN e.version ELSE c.dead_version END,
                dead_reason = CASE WHEN e.kind = 'dead' THEN e.reason ELSE c.dead_reason END
            FROM jsonb_to_recordset($1::jsonb) AS e(id uuid, kind text, version bigint, object_id text, attempts int, reason text)
            WHERE c.id = e.id
            """, [String(decoding: JSONValue.array(records).serialized(), as: UTF8.self)])
    }

    /// What `last_error` says after a call that did not succeed (never the CRM's answer for a
    /// retried call, which may quote the contact; a dead letter keeps the answer).
    static func lastError(_ outcome: CRMCallOutcome) -> String? {
        switch outcome {
        case .accepted: nil
        case .partial: "HTTP 207: refused by the CRM in a batch; sent alone next"
        case .rateLimited: "HTTP 429: rate limited"
        case .transient(let reason), .refused(let reason): reason
        case .rejected(let status, _): "HTTP \(status): split into single-contact calls"
        }
    }

    static func label(_ outcome: CRMCallOutcome) -> String {
        switch outcome {
        case .accepted: "accepted"
        case .partial: "partial"
        case .rateLimited: "rate_limited"
        case .transient: "transient"
        case .rejected: "rejected"
        case .refused: "refused"
        }
    }
}
