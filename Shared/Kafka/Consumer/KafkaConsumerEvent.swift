/// What a consumer poll yields.
public enum KafkaConsumerEvent: Sendable {
    /// A record.
    case record(KafkaRecord)
    /// The consumer has read everything the partition held when it last fetched;
    /// `nextOffset` is the offset the next record will have (the high watermark).
    /// Reported once each time the end is reached, again after more records arrive and are read.
    case partitionEOF(KafkaTopicPartition, nextOffset: Int64)
}
