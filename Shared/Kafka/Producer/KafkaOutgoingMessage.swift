/// A message to produce.
public struct KafkaOutgoingMessage: Sendable {
    public var topic: String
    /// The partition, or `nil` to choose one from the key with the default partitioner
    /// (`consistent_random`: same key, same partition; no key, a random partition).
    public var partition: Int32?
    /// The key; `nil` and an empty key are both sent as a null key.
    public var key: [UInt8]?
    /// The value; an empty value is sent as a null value and read back as empty.
    public var value: [UInt8]
    public var headers: [KafkaHeader]

    public init(topic: String, partition: Int32? = nil, key: [UInt8]? = nil, value: [UInt8], headers: [KafkaHeader] = []) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
    }
}
