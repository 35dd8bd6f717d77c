import CRdKafka
import Foundation
import Synchronization

/// Where a delivery report goes: one awaiting `send`, or one slot of a `sendBatch`.
enum DeliveryTarget {
    case single(CheckedContinuation<Result<KafkaDeliveryReport, KafkaError>, Never>)
    case batch(DeliveryBatch, index: Int)

    func complete(_ result: Result<KafkaDeliveryReport, KafkaError>) {
        switch self {
        case .single(let continuation): continuation.resume(returning: result)
        case .batch(let batch, let index): batch.complete(index, result)
        }
    }
}

/// The results of one `sendBatch`, filled in by delivery reports in any order.
final class DeliveryBatch: Sendable {
    private struct State {
        var results: [Result<KafkaDeliveryReport, KafkaError>?]
        var remaining: Int
        var continuation: CheckedContinuation<[Result<KafkaDeliveryReport, KafkaError>], Never>?
    }

    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(results: Array(repeating: nil, count: count), remaining: count))
    }

    func complete(_ index: Int, _ result: Result<KafkaDeliveryReport, KafkaError>) {
        let resume: (CheckedContinuation<[Result<KafkaDeliveryReport, KafkaError>], Never>, [Result<KafkaDeliveryReport, KafkaError>])? = state.withLock { state in
            guard state.results[index] == nil else { return nil }
            state.results[index] = result
            state.remaining -= 1
            guard state.remaining == 0, let continuation = state.continuation else { return nil }
            state.continuation = nil
            return (continuation, state.results.map { $0! })
        }
        if let (continuation, all) = resume { continuation.resume(returning: all) }
    }

    /// Waits until every slot has a result.
    func wait() async -> [Result<KafkaDeliveryReport, KafkaError>] {
        await withCheckedContinuation { continuation in
            let all: [Result<KafkaDeliveryReport, KafkaError>]? = state.withLock { state in
                if state.remaining == 0 { return state.results.map { $0! } }
                state.continuation = continuation
                return nil
            }
            if let all { continuation.resume(returning: all) }
        }
    }
}

/// The producer's shared state: the librdkafka handle, messages awaiting delivery reports,
/// and health. Reached from callers' tasks (enqueue), the poll thread (delivery reports) and
/// librdkafka's callbacks (through the conf opaque).
final class ProducerState: @unchecked Sendable {
    // @unchecked Sendable: `handle`, a pointer, is written once before the producer is
    // shared; everything else is in `state`'s Mutex. librdkafka's produce and yield are
    // thread-safe; destroy happens only after `destroyed` is set holding the Mutex, so no
    // other thread can be inside a librdkafka call on the handle when it is freed.
    var handle: OpaquePointer!

    private struct State {
        var nextID: UInt = 1
        var inFlight: [UInt: DeliveryTarget] = [:]
        var closing = false
        var destroyed = false
        var consecutiveTimeouts = 0
        var fatal = false
    }

    private let state = Mutex(State())

    /// Whether closing has begun (`beginClosing`).
    var closing: Bool { state.withLock { $0.closing } }

    enum EnqueueOutcome {
        case enqueued
        case queueFull
        case failed(KafkaError)
    }

    /// Hands `message` to librdkafka; its delivery report will complete `target`.
    /// On `.queueFull` and `.failed` the target is not kept and the caller completes it.
    func enqueue(_ message: KafkaOutgoingMessage, target: DeliveryTarget) -> EnqueueOutcome {
        return state.withLock { state in
            guard !state.closing else { return .failed(.closed("producer")) }
            let id = state.nextID
            state.nextID += 1
            let headers = Self.makeHeaders(message.headers)
            let partition = message.partition ?? clientele_rd_kafka_partition_unassigned()
            let error: rd_kafka_resp_err_t = message.topic.withCString { topic in
                message.value.withUnsafeBytes { value in
                    Self.withOptionalBytes(message.key) { key in
                        clientele_rd_kafka_produce(handle, topic, partition, key.baseAddress, key.count,
                                                   value.count == 0 ? nil : value.baseAddress, value.count,
                                                   headers, UnsafeMutableRawPointer(bitPattern: id))
                    }
                }
            }
            if error == RD_KAFKA_RESP_ERR_NO_ERROR {
                state.inFlight[id] = target
                return .enqueued
            }
            if let headers { rd_kafka_headers_destroy(headers) }
            if error == RD_KAFKA_RESP_ERR__QUEUE_FULL { return .queueFull }
            return .failed(KafkaError(error, context: ["topic": message.topic]))
        }
    }

    /// A delivery report from librdkafka (on the poll thread).
    func delivered(_ message: rd_kafka_message_t) {
        let id = UInt(bitPattern: message._private)
        let topic = message.rkt.flatMap { rd_kafka_topic_name($0) }.map { String(cString: $0) } ?? "?"
        let result: Result<KafkaDeliveryReport, KafkaError>
        if message.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            result = .success(KafkaDeliveryReport(topic: topic, partition: message.partition, offset: message.offset))
        } else {
            result = .failure(KafkaError(message.err, context: ["topic": topic, "partition": String(message.partition)]))
        }
        let target: DeliveryTarget? = state.withLock { state in
            if message.err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT {
                state.consecutiveTimeouts += 1
            } else if message.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                state.consecutiveTimeouts = 0
            }
            if case .failure(let error) = result, error.code.kind == .fatal {
                state.fatal = true
            }
            return state.inFlight.removeValue(forKey: id)
        }
        target?.complete(result)
    }

    /// Records a fatal error (from the error callback): this producer cannot go on.
    func markFatal() {
        state.withLock { $0.fatal = true }
    }

    var health: (consecutiveTimeouts: Int, fatal: Bool) {
        state.withLock { ($0.consecutiveTimeouts, $0.fatal) }
    }

    /// Refuses further messages; false if closing had already begun.
    func beginClosing() -> Bool {
        state.withLock { state in
            if state.closing { return false }
            state.closing = true
            return true
        }
    }

    /// Calls `body` with the handle unless it has been destroyed (for calls from other threads).
    func withLiveHandle(_ body: (OpaquePointer) -> Void) {
        state.withLock { state in
            if !state.destroyed { body(handle) }
        }
    }

    /// Flushes for up to `timeout`, purges what is left, serves the purge reports, destroys
    /// the handle and fails any message whose report never came. Runs on the poll thread.
    func shutDown(timeout: Duration) {
        let alreadyDestroyed = state.withLock { $0.destroyed }
        guard !alreadyDestroyed else { return }
        _ = rd_kafka_flush(handle, timeout.milliseconds)
        _ = rd_kafka_purge(handle, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
        _ = rd_kafka_flush(handle, 500)
        state.withLock { $0.destroyed = true }
        rd_kafka_destroy(handle)
        let leftovers = state.withLock { state in
            let all = Array(state.inFlight.values)
            state.inFlight.removeAll()
            return all
        }
        for target in leftovers { target.complete(.failure(.closed("producer"))) }
    }

    /// Serves delivery reports for up to 100 ms (the poll thread's idle work).
    func poll() {
        let live = state.withLock { !$0.destroyed }
        if live { rd_kafka_poll(handle, 100) }
    }

    private static func makeHeaders(_ headers: [KafkaHeader]) -> OpaquePointer? {
        guard !headers.isEmpty, let list = rd_kafka_headers_new(headers.count) else { return nil }
        for header in headers {
            if let value = header.value {
                // An empty value needs a non-null pointer, or librdkafka stores a null value.
                (value.isEmpty ? [0] : value).withUnsafeBytes { bytes in
                    _ = rd_kafka_header_add(list, header.name, -1, bytes.baseAddress, value.count)
                }
            } else {
                _ = rd_kafka_header_add(list, header.name, -1, nil, 0)
            }
        }
        return list
    }

    private static func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        guard let bytes, !bytes.isEmpty else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return bytes.withUnsafeBytes(body)
    }
}

extension Duration {
    /// Whole milliseconds, clamped to librdkafka's `int` timeouts.
    var milliseconds: Int32 {
        let (seconds, attoseconds) = components
        let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(0, ms))
    }
}
