import Coordination
import Foundation

/// The CRM sync's state machine: which changes go to which company's CRM next, and what a
/// call's outcome does to them. Plain state, no I/O and no clock of its own (the caller
/// passes `now`), so every rule is tested without sockets (CRMSyncScheduleTests).
///
/// Rules (docs/api/crm-sync.md):
/// - Per client, changes go in version order, one call at a time. A change no newer than
///   what the client already has (synced, in flight, waiting or dead-lettered) is dropped, so
///   an older version is never sent after a newer one.
/// - Several waiting versions of one client coalesce: only the latest waits, and one upsert
///   of it is sent.
/// - A batch holds changes of one kind for one company, at most `kind.maxInputs` (100), in
///   the order the clients became ready. Each company has at most one call in flight;
///   companies are served round robin.
/// - 429: the company's calls wait `Retry-After` (capped at `maxRetryAfter`; the backoff when
///   absent); no attempt is counted. 5xx, time-outs and refused connections: each change
///   counts an attempt and the company waits a jittered, capped exponential backoff; at
///   `maxAttempts` the change is dead-lettered. Another 4xx: a batch of several changes is
///   split into batches of one (so one bad contact does not condemn its neighbours); a
///   batch of one is dead-lettered at once with the CRM's answer.
/// - A dead-lettered client's later changes wait behind the dead letter (coalesced) until
///   `retry`; the company's other clients go on.
public struct CRMSyncSchedule {
    struct ClientState {
        var waiting: CRMChange?
        var inFlight: CRMChange?
        var syncedVersion: Int64 = 0
        var attempts = 0
        var deadLetter: CRMDeadLetter?
        var objectId: String?
        /// After a rejected batch: sent in a batch of its own until it is settled.
        var sendsAlone = false
        var isReady = false

        var latestVersion: Int64 {
            max(syncedVersion, inFlight?.version ?? 0, waiting?.version ?? 0, deadLetter?.change.version ?? 0)
        }
    }

    struct CompanyState {
        var clients: [UUID: ClientState] = [:]
        /// Clients with a waiting change they may send, first ready first; `readyHead` is the
        /// first live entry (entries before it are spent).
        var ready: [UUID] = []
        var readyHead = 0
        var inFlight: Int64?
        var notBefore: ContinuousClock.Instant?
        var backoff: Backoff

        var hasReady: Bool { readyHead < ready.count }
    }

    public let policy: CRMSyncPolicy
    private var companies: [UUID: CompanyState] = [:]
    /// Companies in the order they were first seen, served round robin from `cursor`.
    private var companyOrder: [UUID] = []
    private var cursor = 0
    private var nextBatchId: Int64 = 1
    private var random: ErasedRandom

    public init(policy: CRMSyncPolicy = CRMSyncPolicy(), random: any RandomNumberGenerator = SystemRandomNumberGenerator()) {
        self.policy = policy
        self.random = ErasedRandom(base: random)
    }

    // MARK: Input

    /// Sets what the CRM is known to hold for a client (from storage, at start).
    public mutating func restore(tenantId: UUID, clientId: UUID, syncedVersion: Int64, objectId: String?,
                                 deadLetter: CRMDeadLetter? = nil) {
        updateCompany(tenantId) { company in
            var client = company.clients[clientId] ?? ClientState()
            client.syncedVersion = max(client.syncedVersion, syncedVersion)
            client.objectId = objectId ?? client.objectId
            if let deadLetter {
                client.deadLetter = deadLetter
                client.attempts = deadLetter.attempts
            }
            company.clients[clientId] = client
        }
    }

    /// Queues `change`; false (and nothing changes) when the client already has that version
    /// or a newer one.
    @discardableResult
    public mutating func enqueue(_ change: CRMChange) -> Bool {
        updateCompany(change.tenantId) { company in
            var client = company.clients[change.clientId] ?? ClientState()
            guard change.version > client.latestVersion else { return false }
            client.waiting = change
            company.clients[change.clientId] = client
            Self.makeReadyIfSendable(change.clientId, in: &company)
            return true
        }
    }

    /// Releases a client's dead letter: its change (or a newer one that waited behind it)
    /// is tried again with a fresh count of attempts. False when the client has none.
    @discardableResult
    public mutating func retry(tenantId: UUID, clientId: UUID) -> Bool {
        updateCompany(tenantId) { company in
            guard var client = company.clients[clientId], let dead = client.deadLetter else { return false }
            client.waiting = client.waiting ?? dead.change
            client.deadLetter = nil
            client.attempts = 0
            client.sendsAlone = false
            company.clients[clientId] = client
            Self.makeReadyIfSendable(clientId, in: &company)
            return true
        }
    }

    /// Drops everything known of a company (its sync was disabled): a call in flight for it
    /// completes without effect, and enabling it again starts from what storage holds.
    public mutating func forget(tenantId: UUID) {
        guard companies.removeValue(forKey: tenantId) != nil else { return }
        companyOrder.removeAll { $0 == tenantId }
        cursor = companyOrder.isEmpty ? 0 : cursor % companyOrder.count
    }

    // MARK: Output

    /// The next batch to send at `now`, or nil when every company with work is waiting (for
    /// its call in flight or its retry time). Its changes are in flight until `complete`.
    public mutating func nextBatch(now: ContinuousClock.Instant) -> CRMSyncBatch? {
        guard !companyOrder.isEmpty else { return nil }
        for step in 0..<companyOrder.count {
            let index = (cursor + step) % companyOrder.count
            let tenantId = companyOrder[index]
            guard var company = companies[tenantId], company.inFlight == nil, company.hasReady,
                  company.notBefore.map({ $0 <= now }) ?? true else { continue }
            guard let changes = Self.takeBatch(from: &company) else {
                companies[tenantId] = company
                continue
            }
            let id = nextBatchId
            nextBatchId += 1
            company.inFlight = id
            var objectIds: [UUID: String] = [:]
            for change in changes {
                if let objectId = company.clients[change.clientId]?.objectId { objectIds[change.clientId] = objectId }
            }
            companies[tenantId] = company
            cursor = (index + 1) % companyOrder.count
            return CRMSyncBatch(id: id, tenantId: tenantId, kind: changes[0].operation.kind, changes: changes, objectIds: objectIds)
        }
        return nil
    }

    /// When the earliest company now waiting out a retry may send again (nil: none is).
    public func earliestRetry() -> ContinuousClock.Instant? {
        companies.values.filter { $0.inFlight == nil && $0.hasReady }.compactMap(\.notBefore).min()
    }

    /// Applies a call's outcome to the batch's changes; returns what happened to each.
    public mutating func complete(_ batch: CRMSyncBatch, _ outcome: CRMCallOutcome, now: ContinuousClock.Instant) -> [CRMSyncEffect] {
        guard var company = companies[batch.tenantId], company.inFlight == batch.id else { return [] }
        company.inFlight = nil
        var effects: [CRMSyncEffect] = []
        switch outcome {
        case .accepted(let objectIds), .partial(let objectIds, _):
            company.backoff.reset()
            company.notBefore = nil
            // A 207: an upserted client without a result was refused as it is. In company, it
            // is sent alone next (its fellows may have been refused for it); alone, it is
            // dead-lettered with the CRM's answer, as a rejection is.
            var refused: [CRMChange] = []
            if case .partial(_, let answer) = outcome {
                refused = batch.changes.filter { change in
                    guard case .upsert = change.operation else { return false }
                    return objectIds[change.clientId.uuidString.lowercased()] == nil
                }
                if batch.changes.count == 1, let change = refused.first {
                    company.clients[change.clientId]?.attempts += 1
                    effects.append(.deadLettered(Self.deadLetter(change, reason: "HTTP 207: \(answer)", in: &company)))
                } else {
                    for change in refused.reversed() {
                        company.clients[change.clientId]?.sendsAlone = true
                        Self.putBack(change, in: &company)
                        effects.insert(.retrying(change, attempts: company.clients[change.clientId]?.attempts ?? 0, after: .zero), at: 0)
                    }
                }
            }
            for change in batch.changes where !refused.contains(where: { $0.clientId == change.clientId }) {
                guard var client = company.clients[change.clientId] else { continue }
                client.inFlight = nil
                client.syncedVersion = max(client.syncedVersion, change.version)
                client.attempts = 0
                client.sendsAlone = false
                switch change.operation {
                case .upsert: client.objectId = objectIds[change.clientId.uuidString.lowercased()] ?? client.objectId
                case .archive, .gdprDelete: client.objectId = nil
                }
                company.clients[change.clientId] = client
                effects.append(.synced(change, objectId: client.objectId))
                Self.makeReadyIfSendable(change.clientId, in: &company)
            }
        case .rateLimited(let retryAfter):
            let pause = min(retryAfter ?? company.backoff.nextJittered(using: &random), policy.maxRetryAfter)
            company.notBefore = now + pause
            for change in batch.changes.reversed() {
                let attempts = company.clients[change.clientId]?.attempts ?? 0
                Self.putBack(change, in: &company)
                effects.insert(.retrying(change, attempts: attempts, after: pause), at: 0)
            }
        case .transient(let reason), .refused(let reason):
            let pause = company.backoff.nextJittered(using: &random)
            company.notBefore = now + pause
            for change in batch.changes.reversed() {
                guard var client = company.clients[change.clientId] else { continue }
                client.attempts += 1
                company.clients[change.clientId] = client
                if client.attempts >= policy.maxAttempts {
                    effects.insert(.deadLettered(Self.deadLetter(change, reason: reason, in: &company)), at: 0)
                } else {
                    Self.putBack(change, in: &company)
                    effects.insert(.retrying(change, attempts: client.attempts, after: pause), at: 0)
                }
            }
        case .rejected(let status, let answer):
            if batch.changes.count > 1 {
                for change in batch.changes.reversed() {
                    company.clients[change.clientId]?.sendsAlone = true
                    Self.putBack(change, in: &company)
                    effects.insert(.retrying(change, attempts: company.clients[change.clientId]?.attempts ?? 0, after: .zero), at: 0)
                }
            } else if let change = batch.changes.first {
                company.clients[change.clientId]?.attempts += 1
                effects.append(.deadLettered(Self.deadLetter(change, reason: "HTTP \(status): \(answer)", in: &company)))
            }
        }
        companies[batch.tenantId] = company
        return effects
    }

    // MARK: Queries

    /// Every dead letter, by company then client.
    public var deadLetters: [CRMDeadLetter] {
        companies.values.flatMap { $0.clients.values.compactMap(\.deadLetter) }
            .sorted { ($0.change.tenantId.uuidString, $0.change.clientId.uuidString) < ($1.change.tenantId.uuidString, $1.change.clientId.uuidString) }
    }

    /// The highest version the CRM acknowledged for a client (0: none).
    public func syncedVersion(tenantId: UUID, clientId: UUID) -> Int64 {
        companies[tenantId]?.clients[clientId]?.syncedVersion ?? 0
    }

    /// Clients of a company with a change not yet in its CRM (waiting, in flight or dead).
    public func pendingClients(tenantId: UUID) -> Int {
        companies[tenantId]?.clients.values.count { $0.waiting != nil || $0.inFlight != nil || $0.deadLetter != nil } ?? 0
    }

    // MARK: Internals

    private mutating func updateCompany<T>(_ tenantId: UUID, _ body: (inout CompanyState) -> T) -> T {
        if companies[tenantId] == nil {
            companies[tenantId] = CompanyState(backoff: Backoff(initial: policy.backoffInitial, maximum: policy.backoffMaximum))
            companyOrder.append(tenantId)
        }
        return body(&companies[tenantId]!)
    }

    /// Appends the client to the ready list when it has a waiting change and nothing holds
    /// it back (a call in flight, a dead letter).
    private static func makeReadyIfSendable(_ clientId: UUID, in company: inout CompanyState) {
        guard var client = company.clients[clientId], client.waiting != nil, client.inFlight == nil,
              client.deadLetter == nil, !client.isReady else { return }
        client.isReady = true
        company.clients[clientId] = client
        company.ready.append(clientId)
    }

    /// A failed in-flight change waits again, first in line (a newer waiting change of the
    /// same client takes its place: the newer one supersedes it).
    private static func putBack(_ change: CRMChange, in company: inout CompanyState) {
        guard var client = company.clients[change.clientId] else { return }
        client.inFlight = nil
        client.waiting = client.waiting ?? change
        guard !client.isReady else {
            company.clients[change.clientId] = client
            return
        }
        client.isReady = true
        company.clients[change.clientId] = client
        if company.readyHead > 0 {
            company.readyHead -= 1
            company.ready[company.readyHead] = change.clientId
        } else {
            company.ready.insert(change.clientId, at: 0)
        }
    }

    private static func deadLetter(_ change: CRMChange, reason: String, in company: inout CompanyState) -> CRMDeadLetter {
        var client = company.clients[change.clientId] ?? ClientState()
        let dead = CRMDeadLetter(change: change, attempts: client.attempts, reason: reason)
        client.inFlight = nil
        client.deadLetter = dead
        company.clients[change.clientId] = client
        return dead
    }

    /// Takes the next batch from the company's ready list: the first ready client's kind,
    /// then every following ready client of that kind, up to the kind's limit (a client that
    /// sends alone goes in a batch of one). Skipped clients keep their places.
    private static func takeBatch(from company: inout CompanyState) -> [CRMChange]? {
        var taken: [CRMChange] = []
        var skipped: [UUID] = []
        var kind: CRMRequestKind?
        var alone = false
        var index = company.readyHead
        while index < company.ready.count, taken.count < (kind?.maxInputs ?? 1), !alone {
            let clientId = company.ready[index]
            index += 1
            guard var client = company.clients[clientId], let change = client.waiting else {
                company.clients[clientId]?.isReady = false
                continue
            }
            if let kind, change.operation.kind != kind || client.sendsAlone {
                skipped.append(clientId)
                continue
            }
            kind = change.operation.kind
            alone = client.sendsAlone
            client.waiting = nil
            client.inFlight = change
            client.isReady = false
            company.clients[clientId] = client
            taken.append(change)
        }
        // The skipped clients take the last places of the scanned part, in their order.
        let start = index - skipped.count
        company.ready.replaceSubrange(start..<index, with: skipped)
        company.readyHead = start
        if company.readyHead > 1024, company.readyHead * 2 > company.ready.count {
            company.ready.removeFirst(company.readyHead)
            company.readyHead = 0
        }
        return taken.isEmpty ? nil : taken
    }
}

/// A generator of any type, as a concrete one (an `inout` existential cannot be passed as
/// `some RandomNumberGenerator`).
private struct ErasedRandom: RandomNumberGenerator {
    var base: any RandomNumberGenerator
    mutating func next() -> UInt64 { base.next() }
}
