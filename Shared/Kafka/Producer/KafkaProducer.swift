import CRdKafka

/// An idempotent Kafka producer whose `send` returns once the broker has acknowledged the message.
///
/// Defaults (each overridable through the configuration): `enable.idempotence=true`,
/// `acks=all`, `message.timeout.ms=30000`, `allow.auto.create.topics=false` (create topics
/// explicitly with `KafkaAdmin` so that their partition count is the intended one).
///
/// A dedicated thread serves librdkafka's delivery reports and runs `flush`/`close`; nothing
/// blocking runs on Swift's cooperative pool.
///
/// Broker outages: a message that cannot be delivered within `message.timeout.ms` fails with a
/// `KafkaError` of kind `.timedOut`; it may still have been written (the broker may have had
/// it), so a caller that sends it again can duplicate it: consumers must de-duplicate (for
/// example by event id). On Tansu, an idempotent producer that has timed out once is fenced
/// afterwards (every later message fails with PRODUCER_FENCED, kind `.fatal`), and after a
/// broker restart an existing producer can stall and time out every message. So callers such
/// as the outbox relay must check `isHealthy` after failures and, when it is false, close this
/// producer and build a new one; `isHealthy` turns false on a fatal or fencing error and after
/// `unhealthyAfterConsecutiveTimeouts` time-outs in a row.
public final class KafkaProducer: Sendable {
    /// Consecutive message time-outs after which `isHealthy` turns false.
    public static let unhealthyAfterConsecutiveTimeouts = 3

    private let state: ProducerState
    private let thread: KafkaClientThread
    /// How long `send`/`sendBatch` wait for room in a full local queue: `message.timeout.ms`.
    private let queueFullPatience: Duration

    /// Builds the producer and starts its poll thread; throws a `.configuration` KafkaError
    /// for unknown properties or bad values.
    public init(configuration: KafkaConfiguration) throws {
        let properties = configuration.merged(over: [
            "enable.idempotence": "true",
            "acks": "all",
            "message.timeout.ms": "30000",
            "allow.auto.create.topics": "false",
        ])
        let state = ProducerState()
        let opaque = Unmanaged.passUnretained(state).toOpaque()
        state.handle = try RdKafkaConf.client(RD_KAFKA_PRODUCER, properties: properties) { conf in
            rd_kafka_conf_set_opaque(conf, opaque)
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                guard let message, let opaque else { return }
                Unmanaged<ProducerState>.fromOpaque(opaque).takeUnretainedValue().delivered(message.pointee)
            }
            rd_kafka_conf_set_error_cb(conf) { _, error, _, opaque in
                guard error == RD_KAFKA_RESP_ERR__FATAL.rawValue, let opaque else { return }
                Unmanaged<ProducerState>.fromOpaque(opaque).takeUnretainedValue().markFatal()
            }
        }
        self.state = state
        self.queueFullPatience = .milliseconds(Int(properties["message.timeout.ms"] ?? "") ?? 30_000)
        self.thread = KafkaClientThread(name: "kafka-producer", idle: { state.poll() },
                                        wake: { state.withLiveHandle { rd_kafka_yield($0) } })
    }

    deinit {
        if state.beginClosing() {
            let state = self.state
            thread.submit { state.shutDown(timeout: .zero) }
        }
        thread.stop()
    }

    /// Messages in a row that timed out (reset by the next successful delivery).
    public var consecutiveTimeouts: Int { state.health.consecutiveTimeouts }

    /// False after a fatal or fencing error (kind `.fatal`, for good) or after
    /// `unhealthyAfterConsecutiveTimeouts` time-outs in a row (until a delivery succeeds):
    /// close this producer and build a new one.
    public var isHealthy: Bool {
        let health = state.health
        return !health.fatal && health.consecutiveTimeouts < Self.unhealthyAfterConsecutiveTimeouts
    }

    /// Sends one message and returns where the broker stored it.
    ///
    /// Returns only when the delivery report arrives; throws a `KafkaError` if delivery fails,
    /// including `.timedOut` after `message.timeout.ms`. If the local queue is full it retries
    /// for up to `message.timeout.ms`, then throws `.queueFull` (or `CancellationError` if the
    /// task is cancelled while waiting). Cancelling the task does not withdraw a message
    /// already handed to librdkafka: the call still waits for its report.
    public func send(_ message: KafkaOutgoingMessage) async throws -> KafkaDeliveryReport {
        let deadline = ContinuousClock.now + queueFullPatience
        while true {
            var queueFull = false
            let result: Result<KafkaDeliveryReport, KafkaError> = await withCheckedContinuation { continuation in
                switch state.enqueue(message, target: .single(continuation)) {
                case .enqueued: break
                case .failed(let error): continuation.resume(returning: .failure(error))
                case .queueFull:
                    queueFull = true
                    continuation.resume(returning: .failure(KafkaError(RD_KAFKA_RESP_ERR__QUEUE_FULL, context: ["topic": message.topic])))
                }
            }
            if queueFull && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
                continue
            }
            return try result.get()
        }
    }

    /// Enqueues every message in order, then waits for all their delivery reports.
    ///
    /// Result `i` belongs to `messages[i]`. Order within a partition is kept (idempotence
    /// makes librdkafka's retries preserve it). A full local queue is waited out as in `send`;
    /// a message that still cannot be queued fails on its own while the rest go ahead.
    public func sendBatch(_ messages: [KafkaOutgoingMessage]) async throws -> [Result<KafkaDeliveryReport, KafkaError>] {
        let batch = DeliveryBatch(count: messages.count)
        var deadline = ContinuousClock.now + queueFullPatience
        for (index, message) in messages.enumerated() {
            enqueueing: while true {
                switch state.enqueue(message, target: .batch(batch, index: index)) {
                case .enqueued:
                    deadline = ContinuousClock.now + queueFullPatience
                    break enqueueing
                case .failed(let error):
                    batch.complete(index, .failure(error))
                    break enqueueing
                case .queueFull:
                    if ContinuousClock.now >= deadline {
                        batch.complete(index, .failure(KafkaError(RD_KAFKA_RESP_ERR__QUEUE_FULL, context: ["topic": message.topic])))
                        break enqueueing
                    }
                    try? await Task.sleep(for: .milliseconds(5))
                }
            }
        }
        return await batch.wait()
    }

    /// Waits until every queued message has its delivery report, for up to `timeout`.
    ///
    /// Throws `.timedOut` if messages are still outstanding, `.closed` after `close`.
    public func flush(timeout: Duration) async throws {
        let state = self.state
        try await thread.run(closedError: .closed("producer")) { () throws(KafkaError) in
            guard !state.closing else { throw .closed("producer") }
            let error = rd_kafka_flush(state.handle, timeout.milliseconds)
            if error != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(error, "flush timed out with \(rd_kafka_outq_len(state.handle)) messages or requests outstanding")
            }
        }
    }

    /// Flushes for up to `timeout`, fails what is left (`.closed`), and destroys the client.
    ///
    /// Idempotent: a second call waits for the first to finish. Sends after close throw `.closed`.
    public func close(timeout: Duration) async {
        let state = self.state
        if state.beginClosing() {
            _ = try? await thread.run(closedError: .closed("producer")) { state.shutDown(timeout: timeout) }
            thread.stop()
        } else {
            _ = try? await thread.run(closedError: .closed("producer")) {}
        }
    }
}
