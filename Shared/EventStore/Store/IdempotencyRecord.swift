import Foundation

/// A command's answer kept under its idempotency key, written with the command's events
/// (`AppendBatcher.Alongside.idempotency`), so a crash cannot keep one without the other.
///
/// A key is identified by (`scope`, `key`); `scope` names the caller, so two callers' keys
/// never collide. `requestHash` tells a repeat of the same request (answered with
/// `response`) from another request with the same key (refused). At most one record per
/// key: an append whose key is already recorded fails with
/// `PostgresEventStore.AppendConflict.idempotencyKeyTaken` and writes nothing.
public struct IdempotencyRecord: Sendable, Equatable {
    public var scope: String
    public var key: String
    public var requestHash: String
    /// The answer to give a repeat, as JSON text.
    public var response: String

    public init(scope: String, key: String, requestHash: String, response: String) {
        self.scope = scope
        self.key = key
        self.requestHash = requestHash
        self.response = response
    }
}
