import Errors
import Foundation
import InternalAPI

/// The single-client lookups waiting on each event loop for its next flush, and how a batch's
/// answer is shared out: the state of `ClientLookupCoalescer`, without tasks or sockets.
///
/// A loop's first lookup after a flush opens its batch (`add` says so, and the coalescer
/// schedules the flush); every later one joins it until `take` closes it. `take` splits a
/// batch, in order, into chunks of at most `limit` (the batch route's limit), one request each.
struct LookupBatches<Waiter> {
    struct Entry {
        var lookup: TenantClientId
        var waiter: Waiter
    }

    /// The most lookups one chunk holds.
    let limit: Int
    private var pending: [ObjectIdentifier: [Entry]] = [:]

    init(limit: Int) {
        precondition(limit >= 1, "a batch holds at least one lookup")
        self.limit = limit
    }

    /// Adds a lookup to `loop`'s open batch; true when it opened the batch, so the caller must
    /// schedule the batch's flush.
    mutating func add(_ lookup: TenantClientId, waiter: Waiter, on loop: ObjectIdentifier) -> Bool {
        let opens = pending[loop] == nil
        pending[loop, default: []].append(Entry(lookup: lookup, waiter: waiter))
        return opens
    }

    /// Closes `loop`'s batch and returns it in chunks of at most `limit`, in the order the
    /// lookups were added; empty when the loop has none.
    mutating func take(on loop: ObjectIdentifier) -> [[Entry]] {
        guard let entries = pending.removeValue(forKey: loop) else { return [] }
        return stride(from: 0, to: entries.count, by: limit).map { Array(entries[$0..<min($0 + limit, entries.count)]) }
    }

    /// How many lookups wait in `loop`'s open batch.
    func count(on loop: ObjectIdentifier) -> Int {
        pending[loop]?.count ?? 0
    }

    /// What each of `lookups` gets from its batch's `answer`: its record (only one with the
    /// lookup's own key and tenant, else nil), nil, or the batch's error. An answer with another
    /// number of entries than lookups fails them all.
    static func outcomes(for lookups: [TenantClientId],
                         answer: Result<[ClientRecord?], any Error>) -> [Result<ClientRecord?, any Error>] {
        switch answer {
        case .failure(let error):
            return Array(repeating: .failure(error), count: lookups.count)
        case .success(let records) where records.count != lookups.count:
            let error = ClienteleError(.internal, "Internal server error",
                                       internalDetail: "search-projection answered \(records.count) lookups for \(lookups.count)")
            return Array(repeating: .failure(error), count: lookups.count)
        case .success(let records):
            return zip(lookups, records).map { lookup, record in
                .success(record.flatMap { lookup.matches($0) ? $0 : nil })
            }
        }
    }
}

extension LookupBatches.Entry: Sendable where Waiter: Sendable {}
extension LookupBatches: Sendable where Waiter: Sendable {}
