import ClientDomain
import Foundation

/// The receipt of a client's erasure, as the command service keeps it (`client_erasures`) and
/// answers it (`InternalPaths.clientErasures`); the gateway shows it to admins.
///
/// Each step is `pending` until whoever does it marks it `done` (or `notApplicable` where
/// there is nothing to do); the erasure is complete once no step is pending. Coded through
/// `InternalJSON` (not a hot path).
public struct ClientErasure: Codable, Sendable, Equatable {
    /// What an erasure must reach, in the order the receipt lists them.
    public enum Step: String, Codable, Sendable, CaseIterable {
        /// The client's data key shredded (its events unreadable everywhere).
        case key
        /// `client.erased` appended to the log.
        case log
        /// The search read model at the erased version.
        case search
        /// The stats read model at the erased version.
        case stats
        /// The client's documents (rows and files) deleted from the document store.
        case documents
        /// The CRM told (`gdpr-delete`) where the company's sync is on.
        case crm
    }

    public enum State: String, Codable, Sendable {
        case pending, done
        case notApplicable = "not_applicable"
    }

    public struct StepState: Codable, Sendable, Equatable {
        public var step: Step
        public var state: State
        /// When it was done (nil while pending).
        public var at: Date?

        public init(step: Step, state: State, at: Date?) {
            self.step = step
            self.state = state
            self.at = at
        }
    }

    public var clientId: UUID
    public var tenantId: UUID
    /// The client's public number, kept so `client_<number>` still finds the receipt once the
    /// read models forgot it (nil for clients older than numbers).
    public var number: Int64?
    public var erasedAt: Date
    /// The stream version of `client.erased`: what the read models must reach.
    public var erasedVersion: Int64
    public var by: Actor
    public var steps: [StepState]

    public init(clientId: UUID, tenantId: UUID, number: Int64?, erasedAt: Date, erasedVersion: Int64, by: Actor,
                steps: [StepState]) {
        self.clientId = clientId
        self.tenantId = tenantId
        self.number = number
        self.erasedAt = erasedAt
        self.erasedVersion = erasedVersion
        self.by = by
        self.steps = steps
    }

    /// Whether every step is done or not applicable.
    public var isComplete: Bool { steps.allSatisfy { $0.state != .pending } }

    /// The state of `step` (pending when the receipt does not list it).
    public func state(of step: Step) -> State { steps.first { $0.step == step }?.state ?? .pending }
}

/// `POST InternalPaths.clientErasures`: erase `clientId` if its stream belongs to one of
/// `tenantIds` (nil: any tenant, for a caller acting in every company); an erased client
/// answers its receipt as it stands (so a caller resumes the steps left).
public struct ClientErasureRequest: Codable, Sendable, Equatable {
    public var clientId: UUID
    public var tenantIds: [UUID]?
    public var actor: Actor

    public init(clientId: UUID, tenantIds: [UUID]?, actor: Actor) {
        self.clientId = clientId
        self.tenantIds = tenantIds
        self.actor = actor
    }
}

/// `POST InternalPaths.clientErasureSteps(id)`: marks `step` `done` or `notApplicable`
/// (`pending` is refused); a step already marked keeps its first mark.
public struct ClientErasureStepUpdate: Codable, Sendable, Equatable {
    public var step: ClientErasure.Step
    public var state: ClientErasure.State

    public init(step: ClientErasure.Step, state: ClientErasure.State) {
        self.step = step
        self.state = state
    }
}

extension InternalPaths {
    /// Command service: `POST` a `ClientErasureRequest` → `ClientErasure` (404 when no such
    /// client in those tenants); `GET ?clientId=|number=[&tenantId=a,b]` → `ClientErasure` or
    /// 404 (no `tenantId`: any tenant).
    public static let clientErasures = "/internal/v1/client-erasures"
    /// Command service: `POST` a `ClientErasureStepUpdate` → `ClientErasure`, 404 when the
    /// client was not erased.
    public static func clientErasureSteps(_ clientId: UUID) -> String { "\(clientErasures)/\(clientId.lowercasedString)/steps" }
}

/// The erasure steps done after `client.erased` is appended, by whoever asked for the erasure
/// (the gateway's admin route, `clientctl privacy erase`), through their own clients of the
/// services: one rule for both, testable without sockets.
///
/// `resume` does each step still pending: `search` and `stats` done once that projection shows
/// the erased version (within the caller's bound), `documents` done once the document store
/// deleted the client's documents and files, `crm` not applicable when the company's CRM sync
/// is off (crm-sync marks it done otherwise). A step that fails stays pending, reported to
/// `failed`, for a later call to resume; the receipt as it stands is the answer.
public struct ClientErasureSteps: Sendable {
    /// Whether the search / stats projection shows client `id` at `version` (waiting a bound).
    public var searchShows: @Sendable (_ id: UUID, _ version: Int64) async -> Bool
    public var statsShows: @Sendable (_ id: UUID, _ version: Int64) async -> Bool
    /// Deletes the client's documents and their files (throws when the store could not).
    public var eraseDocuments: @Sendable (_ clientId: UUID) async throws -> Void
    /// Whether the company syncs to a CRM; nil when that cannot be told now.
    public var crmSyncEnabled: @Sendable (_ tenantId: UUID) async -> Bool?
    /// Marks a step at the command service; the receipt afterwards.
    public var mark: @Sendable (_ clientId: UUID, ClientErasure.Step, ClientErasure.State) async throws -> ClientErasure
    /// The receipt as the command service holds it now (steps others marked meanwhile).
    public var reread: @Sendable (_ clientId: UUID) async throws -> ClientErasure?
    public var failed: @Sendable (ClientErasure.Step, any Error) -> Void

    public init(searchShows: @escaping @Sendable (UUID, Int64) async -> Bool, statsShows: @escaping @Sendable (UUID, Int64) async -> Bool,
                eraseDocuments: @escaping @Sendable (UUID) async throws -> Void, crmSyncEnabled: @escaping @Sendable (UUID) async -> Bool?,
                mark: @escaping @Sendable (UUID, ClientErasure.Step, ClientErasure.State) async throws -> ClientErasure,
                reread: @escaping @Sendable (UUID) async throws -> ClientErasure?,
                failed: @escaping @Sendable (ClientErasure.Step, any Error) -> Void) {
        self.searchShows = searchShows
        self.statsShows = statsShows
        self.eraseDocuments = eraseDocuments
        self.crmSyncEnabled = crmSyncEnabled
        self.mark = mark
        self.reread = reread
        self.failed = failed
    }

    /// Does the pending steps of `erasure` (see the type); the receipt afterwards.
    public func resume(_ erasure: ClientErasure) async throws -> ClientErasure {
        var erasure = erasure
        let (id, version) = (erasure.clientId, erasure.erasedVersion)
        let (searchPending, statsPending) = (erasure.state(of: .search) == .pending, erasure.state(of: .stats) == .pending)
        async let searchVisible = searchPending ? searchShows(id, version) : false
        async let statsVisible = statsPending ? statsShows(id, version) : false
        if await searchVisible { erasure = try await mark(id, .search, .done) }
        if await statsVisible { erasure = try await mark(id, .stats, .done) }
        if erasure.state(of: .documents) == .pending {
            do {
                try await eraseDocuments(id)
                erasure = try await mark(id, .documents, .done)
            } catch {
                failed(.documents, error)
            }
        }
        if erasure.state(of: .crm) == .pending, await crmSyncEnabled(erasure.tenantId) == false {
            erasure = try await mark(id, .crm, .notApplicable)
        }
        if !erasure.isComplete, let now = try await reread(id) { erasure = now }
        return erasure
    }
}
