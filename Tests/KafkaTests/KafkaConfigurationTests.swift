import Kafka
import XCTest

final class KafkaConfigurationTests: XCTestCase {
    func testFromEnvironmentMapsPrefixedVariablesToProperties() {
        let configuration = KafkaConfiguration.fromEnvironment([
            "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092,127.0.0.1:9093",
            "KAFKA_MESSAGE_TIMEOUT_MS": "5000",
            "KAFKA_ENABLE_IDEMPOTENCE": "false",
            "KAFKA_": "ignored",
            "KAFKAESQUE": "ignored",
            "PATH": "/usr/bin",
        ])
        XCTAssertEqual(configuration.properties, [
            "bootstrap.servers": "127.0.0.1:9092,127.0.0.1:9093",
            "message.timeout.ms": "5000",
            "enable.idempotence": "false",
        ])
        XCTAssertEqual(configuration.bootstrapServers, "127.0.0.1:9092,127.0.0.1:9093")
    }

    func testFromEnvironmentWithOwnPrefix() {
        let configuration = KafkaConfiguration.fromEnvironment(
            ["PROJ_KAFKA_CLIENT_ID": "search", "KAFKA_CLIENT_ID": "other"], prefix: "PROJ_KAFKA_")
        XCTAssertEqual(configuration.properties, ["client.id": "search"])
    }

    func testInitSetsBootstrapServersOverProperties() {
        let configuration = KafkaConfiguration(bootstrapServers: "a:1", properties: ["bootstrap.servers": "b:2", "linger.ms": "1"])
        XCTAssertEqual(configuration.properties, ["bootstrap.servers": "a:1", "linger.ms": "1"])
    }

    func testUnknownPropertyIsAConfigurationErrorNamingIt() {
        let configuration = KafkaConfiguration(bootstrapServers: "127.0.0.1:1", properties: ["no.such.property": "secret-value"])
        XCTAssertThrowsError(try KafkaProducer(configuration: configuration)) { error in
            guard let error = error as? KafkaError else { return XCTFail("not a KafkaError: \(error)") }
            XCTAssertEqual(error.code.kind, .configuration)
            XCTAssertEqual(error.context["property"], "no.such.property")
            XCTAssertFalse(error.description.contains("secret-value"))
            XCTAssertEqual(error.clienteleError.code, .internal)
        }
    }
}
