/// One Kafka record header: a name and an optional binary value.
///
/// Names need not be unique; order is preserved on the wire and on consumption.
public struct KafkaHeader: Sendable, Hashable {
    public var name: String
    /// The value; `nil` is a null header value (distinct from an empty one).
    public var value: [UInt8]?

    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    /// A header whose value is the UTF-8 encoding of `value`.
    public init(name: String, string value: String) {
        self.init(name: name, value: Array(value.utf8))
    }
}
