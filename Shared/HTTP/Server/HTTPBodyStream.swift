import Foundation
import Synchronization

/// The hand-over of a streamed request body from an event loop to one handler task.
///
/// The loop thread appends chunks; when more than `highWaterMark` bytes are buffered it
/// stops reading the socket, and the consumer calls `onDemand` once it has drained the
/// buffer below `lowWaterMark`, so at most about `highWaterMark` plus one read stays in
/// memory.
final class HTTPBodyStream: Sendable {
    static let highWaterMark = 256 * 1024
    static let lowWaterMark = 64 * 1024

    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var bufferedBytes = 0
        var finished = false
        var failure: (any Error)?
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
        var producerPaused = false
        var abandoned = false
        var peakBufferedBytes = 0
    }

    private let state = Mutex(State())
    private let onDemand: @Sendable () -> Void

    /// - Parameter onDemand: called (off the loop) when a paused producer should read again.
    init(onDemand: @escaping @Sendable () -> Void) {
        self.onDemand = onDemand
    }

    /// The largest number of bytes that waited for the consumer at once (for tests).
    var peakBufferedBytes: Int { state.withLock { $0.peakBufferedBytes } }

    /// Whether the consumer stopped reading (the rest of the body will be discarded).
    var isAbandoned: Bool { state.withLock { $0.abandoned } }

    /// Adds a chunk; returns `false` when the producer should pause until `onDemand`.
    func append(_ chunk: [UInt8]) -> Bool {
        let (waiter, keepReading): (CheckedContinuation<[UInt8]?, any Error>?, Bool) = state.withLock { s in
            guard !s.abandoned, !s.finished, s.failure == nil else { return (nil, true) }
            if let waiter = s.waiter {
                s.waiter = nil
                return (waiter, true)
            }
            s.chunks.append(chunk)
            s.bufferedBytes += chunk.count
            s.peakBufferedBytes = max(s.peakBufferedBytes, s.bufferedBytes)
            if s.bufferedBytes >= HTTPBodyStream.highWaterMark {
                s.producerPaused = true
                return (nil, false)
            }
            return (nil, true)
        }
        waiter?.resume(returning: chunk)
        return keepReading
    }

    /// Marks the end of the body.
    func finish() {
        let waiter: CheckedContinuation<[UInt8]?, any Error>? = state.withLock { s in
            s.finished = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Ends the body with an error (connection closed, timeout).
    func fail(_ error: any Error) {
        let waiter: CheckedContinuation<[UInt8]?, any Error>? = state.withLock { s in
            guard !s.finished, s.failure == nil else { return nil }
            s.failure = error
            s.chunks = []
            s.bufferedBytes = 0
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(throwing: error)
    }

    /// The consumer gives up: buffered chunks are dropped and the producer is resumed.
    func abandon() {
        let resume: Bool = state.withLock { s in
            s.abandoned = true
            s.chunks = []
            s.bufferedBytes = 0
            defer { s.producerPaused = false }
            return s.producerPaused
        }
        if resume { onDemand() }
    }

    private enum Step {
        case chunk([UInt8], resumeProducer: Bool)
        case end
        case failure(any Error)
        case wait
    }

    /// Takes the next buffered chunk, or says why there is none. Call with the lock held.
    private static func take(_ s: inout State) -> Step {
        if s.head < s.chunks.count {
            let chunk = s.chunks[s.head]
            s.chunks[s.head] = []
            s.head += 1
            if s.head == s.chunks.count {
                s.chunks.removeAll(keepingCapacity: true)
                s.head = 0
            }
            s.bufferedBytes -= chunk.count
            var resume = false
            if s.producerPaused, s.bufferedBytes <= HTTPBodyStream.lowWaterMark {
                s.producerPaused = false
                resume = true
            }
            return .chunk(chunk, resumeProducer: resume)
        }
        if let failure = s.failure { return .failure(failure) }
        if s.finished || s.abandoned { return .end }
        return .wait
    }

    /// The next chunk, `nil` at the end; one consumer at a time.
    func next() async throws -> [UInt8]? {
        let step = state.withLock { HTTPBodyStream.take(&$0) }
        switch step {
        case .chunk(let chunk, let resumeProducer):
            if resumeProducer { onDemand() }
            return chunk
        case .end:
            return nil
        case .failure(let error):
            throw error
        case .wait:
            return try await withCheckedThrowingContinuation { continuation in
                let now: Step = state.withLock { s in
                    let step = HTTPBodyStream.take(&s)
                    if case .wait = step { s.waiter = continuation }
                    return step
                }
                switch now {
                case .chunk(let chunk, let resumeProducer):
                    if resumeProducer { onDemand() }
                    continuation.resume(returning: chunk)
                case .end: continuation.resume(returning: nil)
                case .failure(let error): continuation.resume(throwing: error)
                case .wait: break
                }
            }
        }
    }
}
