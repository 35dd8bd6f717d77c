import Dispatch
import Synchronization

/// Hands elements from a producer running on a thread of its own (a PostgreSQL connection's
/// queue, whose statements block) to one async consumer, holding at most `capacity` at a time.
///
/// `put` blocks the producer's thread while `capacity` elements wait untaken, so a slow
/// consumer slows the producer (backpressure) and memory stays bounded; the consumer's
/// `next` suspends (no thread blocks) until an element or the end arrives. Either side can
/// stop the other: the producer ends the sequence with `finish` (with or without a failure),
/// the consumer with `close`, after which `put` throws `Closed` at once instead of blocking.
///
/// For producers that may block: a `put` must not run on Swift's cooperative threads.
public final class BlockingHandoff<Element: Sendable>: Sendable {
    /// The consumer closed the handoff: the producer should stop.
    public struct Closed: Error {}

    private struct State {
        var waiting: [Element] = []
        var consumer: CheckedContinuation<Result<Element?, any Error>, Never>?
        var finished: Result<Void, any Error>?
        var closed = false
    }

    private let state = Mutex(State())
    /// Free places: `put` takes one (blocking while there is none), taking an element gives it back.
    private let room: DispatchSemaphore

    public init(capacity: Int = 1) {
        room = DispatchSemaphore(value: max(1, capacity))
    }

    /// Hands `element` over; blocks while `capacity` elements wait untaken. Throws `Closed`
    /// once the consumer closed (also when it closes during the wait).
    public func put(_ element: Element) throws {
        guard !state.withLock({ $0.closed }) else { throw Closed() }
        room.wait()
        let (consumer, accepted) = state.withLock { state -> (CheckedContinuation<Result<Element?, any Error>, Never>?, Bool) in
            guard !state.closed, state.finished == nil else { return (nil, false) }
            if let consumer = state.consumer {
                state.consumer = nil
                return (consumer, true)
            }
            state.waiting.append(element)
            return (nil, true)
        }
        guard accepted else {
            room.signal()   // hand the place on to any other blocked put, which sees `closed` too
            throw Closed()
        }
        if let consumer {
            room.signal()
            consumer.resume(returning: .success(element))
        }
    }

    /// Ends the sequence: the consumer gets the waiting elements, then nil (or `failure`).
    public func finish(throwing failure: (any Error)? = nil) {
        let consumer = state.withLock { state -> CheckedContinuation<Result<Element?, any Error>, Never>? in
            guard state.finished == nil else { return nil }
            state.finished = failure.map { .failure($0) } ?? .success(())
            guard state.waiting.isEmpty else { return nil }
            defer { state.consumer = nil }
            return state.consumer
        }
        consumer?.resume(returning: failure.map { .failure($0) } ?? .success(nil))
    }

    /// The next element; nil at the end; throws the producer's failure. One consumer.
    public func next() async throws -> Element? {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Element?, any Error>, Never>) in
            let now = state.withLock { state -> Result<Element?, any Error>? in
                if !state.waiting.isEmpty { return .success(state.waiting.removeFirst()) }
                if state.closed { return .success(nil) }
                if let finished = state.finished { return finished.map { nil } }
                state.consumer = continuation
                return nil
            }
            guard let now else { return }
            if case .success(.some) = now { room.signal() }
            continuation.resume(returning: now)
        }
        return try result.get()
    }

    /// The consumer stops: waiting elements are dropped and the producer's `put` throws `Closed`.
    public func close() {
        let dropped = state.withLock { state -> Int? in
            guard !state.closed else { return nil }
            state.closed = true
            defer { state.waiting.removeAll() }
            return state.waiting.count
        }
        // Give back the places of the dropped elements, and one to wake a blocked `put`.
        guard let dropped else { return }
        for _ in 0...dropped { room.signal() }
    }
}
