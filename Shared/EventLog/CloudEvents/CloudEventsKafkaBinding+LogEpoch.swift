import Kafka

extension CloudEventsKafkaBinding {
    /// The header naming the log epoch a record was sent in (see `LogRepublish`).
    ///
    /// Not a CloudEvents attribute (it describes the copy of the log, not the event): a
    /// decimal integer, absent in epoch 0 (before the first republish), so records of a store
    /// that was never republished look exactly as before.
    public static let logEpochHeader = "clientele-log-epoch"

    /// The message for `event`, carrying `logEpoch` when it is above 0.
    public static func message(for event: StoredEvent, topic: String, logEpoch: Int64) -> KafkaOutgoingMessage {
        var message = message(for: event, topic: topic)
        if logEpoch > 0 { message.headers.append(KafkaHeader(name: logEpochHeader, string: String(logEpoch))) }
        return message
    }

    /// The log epoch `record` was sent in: 0 without the header, nil if the header is not a
    /// non-negative integer.
    public static func logEpoch(of record: KafkaRecord) -> Int64? {
        guard let header = record.headers.last(where: { $0.name == logEpochHeader }) else { return 0 }
        guard let value = header.value, let epoch = Int64(String(decoding: value, as: UTF8.self)), epoch >= 0 else { return nil }
        return epoch
    }
}
