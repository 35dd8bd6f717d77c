import CRdKafka

/// The librdkafka properties a producer, consumer or admin client is built from.
///
/// Properties are passed to librdkafka unchanged (see librdkafka's CONFIGURATION.md); each
/// client adds its own defaults underneath, which a property set here overrides. Unknown
/// names or bad values surface as a `KafkaError` of kind `.configuration` when a client is built.
public struct KafkaConfiguration: Sendable {
    /// Raw librdkafka properties, e.g. `["bootstrap.servers": "127.0.0.1:9092"]`.
    public var properties: [String: String]

    /// A configuration with `bootstrap.servers` set, plus any other properties.
    public init(bootstrapServers: String, properties: [String: String] = [:]) {
        self.properties = properties
        self.properties["bootstrap.servers"] = bootstrapServers
    }

    /// Every property from `properties`, with no bootstrap servers implied.
    init(properties: [String: String]) {
        self.properties = properties
    }

    /// The `bootstrap.servers` property, if set.
    public var bootstrapServers: String? {
        get { properties["bootstrap.servers"] }
        set { properties["bootstrap.servers"] = newValue }
    }

    /// Pass-through from the environment: every variable `KAFKA_<NAME>` becomes librdkafka
    /// property `<name>` with `_` → `.` and lower-cased (e.g. KAFKA_BOOTSTRAP_SERVERS →
    /// bootstrap.servers, KAFKA_MESSAGE_TIMEOUT_MS → message.timeout.ms).
    ///
    /// Variables named exactly `prefix` (nothing after it) are ignored. Property names that
    /// contain an underscore cannot be expressed this way; set them in `properties` instead.
    public static func fromEnvironment(_ environment: [String: String], prefix: String = "KAFKA_") -> KafkaConfiguration {
        var properties: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix(prefix) && name.count > prefix.count {
            let property = String(name.dropFirst(prefix.count).lowercased().map { $0 == "_" ? "." : $0 })
            properties[property] = value
        }
        return KafkaConfiguration(properties: properties)
    }

    /// These properties over `defaults`: a property set here wins.
    func merged(over defaults: [String: String]) -> [String: String] {
        defaults.merging(properties) { _, own in own }
    }
}

/// Builds an `rd_kafka_conf_t` from properties; the caller owns the result until it passes
/// it to `rd_kafka_new` (which takes it over on success).
enum RdKafkaConf {
    /// A new `rd_kafka_conf_t` holding `properties`, or a configuration error naming the bad
    /// property (its value is left out: it may be a password).
    static func make(_ properties: [String: String]) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(RD_KAFKA_RESP_ERR__FAIL, "rd_kafka_conf_new failed")
        }
        rd_kafka_conf_set_log_cb(conf, kafkaLogCallback)
        var errstr = [CChar](repeating: 0, count: 512)
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, name, value, &errstr, errstr.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                let unknown = result == RD_KAFKA_CONF_UNKNOWN
                throw KafkaError(KafkaError.Code(name: unknown ? "CONF_UNKNOWN" : "CONF_INVALID",
                                                 number: result.rawValue, kind: .configuration),
                                 unknown ? "unknown configuration property" : "invalid value for configuration property",
                                 context: ["property": name])
            }
        }
        return conf
    }

    /// Creates a client of `type` from `properties`, taking care of `conf` on failure.
    static func client(_ type: rd_kafka_type_t, properties: [String: String],
                       prepare: (OpaquePointer) -> Void = { _ in }) throws(KafkaError) -> OpaquePointer {
        let conf = try make(properties)
        prepare(conf)
        var errstr = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            let text = String(decoding: errstr.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw KafkaError(KafkaError.Code(name: "CONF_INVALID", number: RD_KAFKA_CONF_INVALID.rawValue, kind: .configuration),
                             "rd_kafka_new failed: \(text)")
        }
        return handle
    }
}
