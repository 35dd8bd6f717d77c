import Foundation

/// Where a reader of the log gets the data keys of client streams (`EventSealing`): the
/// command service's table in the command service itself, its internal route elsewhere.
public protocol ClientKeySource: Sendable {
    /// The state of each stream's key, for every id asked (a stream the source knows nothing
    /// of is `.unknown`). Throws when the source cannot answer now (the caller retries later;
    /// it never takes a failure for `.unknown`).
    func keys(for streamIds: [UUID]) async throws -> [UUID: ClientKeyState]

    /// A source like this one that holds nothing yet (a rebuild starts from one, so a key
    /// shredded a moment ago is not opened from what the live projection holds).
    func withoutHeldKeys() -> any ClientKeySource
}

extension ClientKeySource {
    /// A source that holds nothing is its own.
    public func withoutHeldKeys() -> any ClientKeySource { self }
}
