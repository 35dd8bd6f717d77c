import ClientDomain
import Foundation
import Kafka
import Projection
import SearchReadModel
import ServiceRuntime
import Synchronization
import TestSupport
import XCTest

/// What an operator sees of a projection: its lag while it is behind, and a log line per
/// event that carries the event's correlation id and trace id.
final class ProjectionObservabilityTests: XCTestCase {
    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var objects: [[String: String]] {
            lines.withLock { $0 }.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String] }
        }
    }

    func testLagIsKnownWhileTheProjectionIsBehind() async throws {
        let fixture = try await ProjectionFixture.make()
        var script = EventScript()
        let events = try script.population(clients: 60)
        let ends = try await fixture.produce(events)
        let runner = fixture.runner(batchSize: 10)
        defer { Task { await runner.close() } }

        // Well before the end (no partition EOF yet), every partition's end is known from the
        // fetches, so the lag is the whole remaining log.
        var checkpoint = runner.checkpoint
        try await eventually("every partition's end is known (\(checkpoint))", timeout: .seconds(20), pausing: false) {
            if !checkpoint.partitions.values.contains(where: { $0.end == nil }) { return true }
            try await runner.step()
            checkpoint = runner.checkpoint
            return false
        }
        let applied = checkpoint.partitions.values.reduce(0) { $0 + $1.next }
        XCTAssertLessThan(applied, Int64(events.count), "still behind")
        for (partition, end) in ends { XCTAssertEqual(checkpoint.partitions[partition]?.end, end, "partition \(partition)") }
        XCTAssertEqual(checkpoint.totalLag, Int64(events.count) - applied)
        XCTAssertGreaterThan(checkpoint.totalLag, 0)
        let text = fixture.metrics.render()
        XCTAssertTrue(text.contains("clientele_projection_consumer_lag{partition=\"0\",projection=\"search\"} \(checkpoint.partitions[0]?.lag ?? -1)\n"), text)
        XCTAssertTrue(text.contains("clientele_projection_log_end{partition=\"0\",projection=\"search\"} \(ends[0] ?? -1)\n"), text)

        try await fixture.catchUp(runner)
        XCTAssertEqual(runner.checkpoint.totalLag, 0)
        XCTAssertTrue(fixture.metrics.render().contains("clientele_projection_caught_up{projection=\"search\"} 1\n"))
    }

    func testEachEventHandledLogsItsCorrelationAndTraceAtDebugLevel() async throws {
        let fixture = try await ProjectionFixture.make()
        var script = EventScript()
        var events = try script.population(clients: 4, tenant: UUID())
        let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        events[0].envelope.traceparent = traceparent
        try await fixture.produce(events)

        let lines = Lines()
        var configuration = ProjectionRunner.Configuration(projection: "search", target: .live, topic: fixture.topic,
                                                           partitionCount: fixture.partitions)
        configuration.pollTimeout = .milliseconds(100)
        let runner = ProjectionRunner(configuration: configuration, pool: fixture.pool, kafka: fixture.broker.configuration(),
                                      model: ClientSearchProjection(),
                                      logger: Logger(service: "search-projection", level: .debug, sink: LogSink { lines.append($0) }),
                                      metrics: fixture.metrics)
        try await fixture.catchUp(runner)
        await runner.close()

        let handled = lines.objects.filter { $0["msg"] == "projection handled event" }
        XCTAssertEqual(handled.count, events.count)
        for event in events {
            let line = try XCTUnwrap(handled.first { $0["event_id"] == event.envelope.eventId.uuidString.lowercased() })
            XCTAssertEqual(line["correlation_id"], event.envelope.correlationId)
            XCTAssertEqual(line["client_id"], event.envelope.streamId.uuidString.lowercased())
            XCTAssertEqual(line["projection"], "search")
            XCTAssertEqual(line["trace_id"], event.envelope.traceparent == nil ? nil : "0af7651916cd43dd8448eb211c80319c")
        }
    }
}
