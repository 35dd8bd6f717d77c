import CRdKafka

/// The librdkafka the process loaded (which may differ from the headers it was built against).
public enum KafkaLibrary {
    /// librdkafka's version as `0xMMmmrrxx` (e.g. 0x021000ff for 2.16.0).
    public static var versionNumber: Int { Int(rd_kafka_version()) }

    /// librdkafka's version string, e.g. "2.16.0".
    public static var version: String { String(cString: rd_kafka_version_str()) }
}
