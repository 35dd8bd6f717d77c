import Kafka
import ServiceRuntime

/// The Kafka topic that carries client events, as this deployment names it.
public struct EventsTopic: Sendable, Equatable {
    public var name: String
    public var partitions: Int32
}

extension ServiceSetup {
    /// The broker settings: `KAFKA_BOOTSTRAP_SERVERS` (required) and any other `KAFKA_*`
    /// variable passed through to librdkafka (`KAFKA_MESSAGE_TIMEOUT_MS` → `message.timeout.ms`).
    public func kafkaConfiguration() throws -> KafkaConfiguration {
        _ = try environment.requiredString("KAFKA_BOOTSTRAP_SERVERS")
        return KafkaConfiguration.fromEnvironment(environment.values)
    }

    /// The events topic: `EVENTS_TOPIC` ("clientele.client-events") with
    /// `EVENTS_TOPIC_PARTITIONS` (8) partitions.
    public func eventsTopic() throws -> EventsTopic {
        EventsTopic(name: environment.string("EVENTS_TOPIC", default: "clientele.client-events"),
                    partitions: Int32(try environment.int("EVENTS_TOPIC_PARTITIONS", default: 8, in: 1...1024)))
    }

    /// Reads every Kafka variable, then connects: creates the events topic if it does not
    /// exist (unlimited retention, so the log can rebuild every projection), refuses to start
    /// if it exists with another partition count (keys would move partitions), and adds a
    /// readiness check that the broker answers with the topic.
    ///
    /// The broker may still be starting: creation is retried for `BROKER_STARTUP_WAIT_MS` (60000).
    public mutating func openEventsTopic() async throws -> EventsLog {
        routeKafkaLogs()
        let configuration = try kafkaConfiguration()
        let topic = try eventsTopic()
        let startupWait = try environment.milliseconds("BROKER_STARTUP_WAIT_MS", default: .seconds(60), in: 0...3_600_000)
        let admin = try KafkaAdmin(configuration: configuration)
        let deadline = ContinuousClock.now + startupWait
        while true {
            do {
                try await admin.createTopic(topic.name, partitions: topic.partitions,
                                            config: ["retention.ms": "-1"], timeout: .seconds(10))
                break
            } catch let error as KafkaError where [.timedOut, .transport].contains(error.code.kind) && ContinuousClock.now < deadline {
                logger.warning("waiting for the broker", ["error": String(describing: error)])
                try await Task.sleep(for: .seconds(1))
            }
        }
        readiness.add("kafka") {
            guard try await admin.partitionCount(of: topic.name, timeout: .seconds(2)) == topic.partitions else {
                throw KafkaTopicMissing(topic: topic.name)
            }
        }
        return EventsLog(configuration: configuration, admin: admin, topic: topic)
    }
}

extension ServiceSetup {
    /// Sends librdkafka's log lines to this service's JSON logger (component `librdkafka`)
    /// instead of plain text on standard error.
    public func routeKafkaLogs() {
        let logger = self.logger
        KafkaLog.setHandler { level, facility, message in
            let severity: LogLevel = level <= 3 ? .error : level == 4 ? .warning : level <= 6 ? .info : .debug
            logger.log(severity, message, ["component": "librdkafka", "facility": facility])
        }
    }
}

/// A service's connection to the events log: the broker settings, an admin client and the topic.
public struct EventsLog: Sendable {
    public var configuration: KafkaConfiguration
    public var admin: KafkaAdmin
    public var topic: EventsTopic
}

/// The events topic is gone or has changed (the broker lost its log, or someone recreated it).
struct KafkaTopicMissing: Error, CustomStringConvertible {
    var topic: String
    var description: String { "topic \(topic) is missing or has the wrong partition count" }
}
