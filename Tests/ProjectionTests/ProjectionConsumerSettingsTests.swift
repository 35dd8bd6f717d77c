import Kafka
@testable import Projection
import XCTest

/// How long the broker may hold a projection's fetch: short for a read model callers wait
/// on, what the runner is configured with otherwise, and always what the operator set.
final class ProjectionConsumerSettingsTests: XCTestCase {
    func testTheFetchWaitIsTheRunnersUnlessTheKafkaSettingsGiveOne() {
        let kafka = KafkaConfiguration(bootstrapServers: "b:9092")
        let configuration = ProjectionRunner.Configuration(projection: "search", target: .live, topic: "t", partitionCount: 1)
        XCTAssertEqual(ProjectionRunner.consumerConfiguration(kafka, fetchWait: configuration.fetchWait)
            .properties["fetch.wait.max.ms"], "10")
        XCTAssertEqual(ProjectionRunner.consumerConfiguration(kafka, fetchWait: .milliseconds(100))
            .properties["fetch.wait.max.ms"], "100")
        XCTAssertEqual(ProjectionRunner.consumerConfiguration(kafka, fetchWait: .microseconds(10))
            .properties["fetch.wait.max.ms"], "1", "never 0: the broker would answer every fetch at once, empty")
        let set = KafkaConfiguration(bootstrapServers: "b:9092", properties: ["fetch.wait.max.ms": "7"])
        XCTAssertEqual(ProjectionRunner.consumerConfiguration(set, fetchWait: .milliseconds(100))
            .properties["fetch.wait.max.ms"], "7")
    }
}
