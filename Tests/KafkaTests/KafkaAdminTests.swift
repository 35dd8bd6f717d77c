import Kafka
import TestSupport
import XCTest

final class KafkaAdminTests: XCTestCase {
    var broker: KafkaBroker!
    var admin: KafkaAdmin!

    override func setUpWithError() throws {
        broker = try KafkaBroker.shared()
        admin = try KafkaAdmin(configuration: broker.configuration())
    }

    override func tearDown() {
        admin = nil  // XCTest keeps test case instances: free the client now
    }

    func testCreateTopicWithRetentionAndReadItsPartitionCount() async throws {
        let topic = KafkaBroker.uniqueTopic("admin")
        let before = try await admin.partitionCount(of: topic, timeout: .seconds(5))
        XCTAssertNil(before)
        try await admin.createTopic(topic, partitions: 3, config: ["retention.ms": "-1"], timeout: .seconds(10))
        let after = try await admin.partitionCount(of: topic, timeout: .seconds(5))
        XCTAssertEqual(after, 3)
    }

    func testPartitionCountDoesNotCreateTheTopic() async throws {
        let topic = KafkaBroker.uniqueTopic("absent")
        for _ in 0..<2 {
            let count = try await admin.partitionCount(of: topic, timeout: .seconds(5))
            XCTAssertNil(count)
        }
    }

    func testCreatingAnExistingTopicIsFineWithTheSameCountAndAnErrorWithAnother() async throws {
        let topic = KafkaBroker.uniqueTopic("twice")
        try await admin.createTopic(topic, partitions: 2, timeout: .seconds(10))
        try await admin.createTopic(topic, partitions: 2, timeout: .seconds(10))
        do {
            try await admin.createTopic(topic, partitions: 4, timeout: .seconds(10))
            XCTFail("creating \(topic) with 4 partitions when it has 2 should throw")
        } catch let error as KafkaError {
            XCTAssertEqual(error.code.kind, .conflict)
            XCTAssertEqual(error.code.name, "TOPIC_ALREADY_EXISTS")
            XCTAssertEqual(error.context["partitions"], "2")
            XCTAssertEqual(error.context["requestedPartitions"], "4")
            XCTAssertTrue(error.description.contains("2 partitions"), error.description)
        }
        let count = try await admin.partitionCount(of: topic, timeout: .seconds(5))
        XCTAssertEqual(count, 2)
    }

    func testInvalidTopicArgumentsAreReported() async throws {
        do {
            try await admin.createTopic(KafkaBroker.uniqueTopic("zero"), partitions: 0, timeout: .seconds(10))
            XCTFail("zero partitions should not be accepted")
        } catch let error as KafkaError {
            XCTAssertEqual(error.code.kind, .invalidArgument)
        }
    }
}
