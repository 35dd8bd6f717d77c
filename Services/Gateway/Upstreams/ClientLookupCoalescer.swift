import Foundation
import HTTP
import InternalAPI
import ServiceRuntime
import Synchronization

/// Sends the single-client lookups that one pass of an event loop makes as one batch request.
///
/// Under load a gateway loop reads many requests per pass and their tasks all reach their
/// lookup before any answer arrives. The first lookup of a pass queues a flush behind the
/// pass's jobs (`EventLoopPass.afterQueuedJobs`), and that flush waits out `passes - 1`
/// more passes (re-queuing itself) so requests whose tasks reach their lookup a hop later
/// join too; each lookup made before it runs joins the batch and suspends. An idle loop runs
/// a pass in microseconds, so the wait costs latency only when the loop is busy. The flush hands each chunk of at most `limit` lookups to the chunk's
/// first waiter, whose task sends it (`send`) and resumes the others with their record, nil,
/// or the batch's error. No task is created: the flush is a job on the loop, the requests
/// are made by the tasks already waiting. A task not on a loop sends a batch of one at once.
final class ClientLookupCoalescer: Sendable {
    /// Where the coalescer learns its caller's loop and queues flushes: the HTTP event loops
    /// (`eventLoop`), or a fake in tests.
    struct Pass: Sendable {
        var currentLoop: @Sendable () -> ObjectIdentifier?
        var afterQueuedJobs: @Sendable (@escaping @Sendable () -> Void) -> Bool

        static let eventLoop = Pass(currentLoop: { EventLoopPass.currentLoop },
                                    afterQueuedJobs: { EventLoopPass.afterQueuedJobs($0) })
    }

    /// Fetches a batch: one record or nil per lookup, in order.
    typealias Send = @Sendable ([TenantClientId]) async throws -> [ClientRecord?]

    /// What a suspended lookup is resumed with: a chunk to send (it leads), or its outcome.
    private enum Role: Sendable {
        case lead([LookupBatches<Waiter>.Entry])
        case done(Result<ClientRecord?, any Error>)
    }

    private typealias Waiter = CheckedContinuation<Role, Never>

    private let batches: Mutex<LookupBatches<Waiter>>
    private let pass: Pass
    private let send: Send
    private let batchSizes: Histogram?
    private let passes: Int

    /// `batchSizes`, when given, observes the size of every request sent. `passes`: how many
    /// pass ends a batch stays open for (at least 1). Two measured best: under
    /// `client-core.sh`'s load batches grew, and CPU per get fell in the gateway and in the
    /// projection (docs/performance.md, design measurements).
    init(limit: Int = TenantClientId.maxPerLookup, pass: Pass = .eventLoop, passes: Int = 2, batchSizes: Histogram? = nil,
         send: @escaping Send) {
        batches = Mutex(LookupBatches(limit: limit))
        self.pass = pass
        self.passes = max(1, passes)
        self.batchSizes = batchSizes
        self.send = send
    }

    /// The client `lookup` names; nil when it does not exist (there) or was deleted. Throws
    /// what fetching its batch threw.
    func client(_ lookup: TenantClientId) async throws -> ClientRecord? {
        guard let loop = pass.currentLoop() else { return try await exchange([lookup])[0].get() }
        let role = await withCheckedContinuation { (waiter: Waiter) in
            let opens = batches.withLock { $0.add(lookup, waiter: waiter, on: loop) }
            // A stopped loop runs no job: flush at once (this lookup alone, or with others
            // that raced it here).
            if opens { flush(loop, afterPasses: passes) }
        }
        switch role {
        case .done(let outcome):
            return try outcome.get()
        case .lead(let chunk):
            let outcomes = await exchange(chunk.map(\.lookup))
            for (entry, outcome) in zip(chunk, outcomes).dropFirst() { entry.waiter.resume(returning: .done(outcome)) }
            return try outcomes[0].get()
        }
    }

    /// How many lookups wait for `loop`'s next flush (for tests).
    func pendingCount(on loop: ObjectIdentifier) -> Int {
        batches.withLock { $0.count(on: loop) }
    }

    /// Flushes `loop`'s batch once `count` more passes have ended (at once if the loop no
    /// longer runs jobs).
    private func flush(_ loop: ObjectIdentifier, afterPasses count: Int) {
        guard count > 0, pass.afterQueuedJobs({ [self] in flush(loop, afterPasses: count - 1) }) else {
            flush(loop)
            return
        }
    }

    /// Closes `loop`'s batch and resumes each chunk's first waiter to send it.
    private func flush(_ loop: ObjectIdentifier) {
        let chunks = batches.withLock { $0.take(on: loop) }
        for chunk in chunks { chunk[0].waiter.resume(returning: .lead(chunk)) }
    }

    /// Sends one chunk; the outcome of each of its lookups, in order.
    private func exchange(_ lookups: [TenantClientId]) async -> [Result<ClientRecord?, any Error>] {
        batchSizes?.observe(Double(lookups.count))
        let answer: Result<[ClientRecord?], any Error>
        do {
            answer = .success(try await send(lookups))
        } catch {
            answer = .failure(error)
        }
        return LookupBatches<Waiter>.outcomes(for: lookups, answer: answer)
    }
}
