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
