import Foundation
import ServiceRuntime
import Synchronization
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ServiceGroupTests: XCTestCase {
    /// A service that runs until asked to stop, then records that it stopped.
    struct RecordingService: Service {
        let name: String
        let journal: Journal
        let stopDelay: Duration

        func run() async throws {
            journal.append("\(name) started")
            await GracefulShutdown.wait()
            try? await Task.sleep(for: stopDelay)
            journal.append("\(name) stopped")
        }
    }

    final class Journal: Sendable {
        private let entries = Mutex<[String]>([])
        func append(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
    }

    struct FailingService: Service {
        let name = "failing"
        func run() async throws {
            try await Task.sleep(for: .milliseconds(50))
            throw CocoaError(.featureUnsupported)
        }
    }

    private var quietLogger: Logger { Logger(service: "test", level: .error, sink: LogSink { _ in }) }

    func testSignalStopsServicesInReverseOrder() async throws {
        let journal = Journal()
        let group = ServiceGroup(services: [RecordingService(name: "producer", journal: journal, stopDelay: .milliseconds(10)),
                                            RecordingService(name: "server", journal: journal, stopDelay: .milliseconds(50))],
                                 logger: quietLogger, signals: [SIGUSR1])
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(200))
            kill(getpid(), SIGUSR1)
            try await tasks.waitForAll()
        }
        XCTAssertEqual(journal.all.suffix(2), ["server stopped", "producer stopped"])
    }

    func testAFailingServiceStopsTheOthersAndIsRethrown() async {
        let journal = Journal()
        let group = ServiceGroup(services: [RecordingService(name: "a", journal: journal, stopDelay: .zero), FailingService()],
                                 logger: quietLogger, signals: [])
        do {
            try await group.run()
            XCTFail("expected the failure to be rethrown")
        } catch {
            XCTAssertEqual((error as? CocoaError)?.code, .featureUnsupported)
        }
        XCTAssertEqual(journal.all, ["a started", "a stopped"])
    }

    func testGracePeriodCancelsAServiceThatDoesNotStop() async throws {
        struct Stubborn: Service {
            let name = "stubborn"
            func run() async throws {
                // Ignores the graceful signal; only cancellation ends the sleep.
                try await Task.sleep(for: .seconds(60))
            }
        }
        let started = ContinuousClock.now
        let group = ServiceGroup(services: [Stubborn()], logger: quietLogger, gracePeriod: .milliseconds(200), signals: [SIGUSR2])
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(100))
            kill(getpid(), SIGUSR2)
            try await tasks.waitForAll()
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
    }
}
