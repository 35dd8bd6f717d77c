import Coordination
import Foundation
import ServiceRuntime
import Synchronization
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ServiceGroupTests: XCTestCase {
    /// A service that runs until asked to stop, then records that it stopped (or that it was
    /// cancelled, when it ignores the stop until the grace period ends).
    struct RecordingService: Service {
        let name: String
        let journal: Journal
        var stopDelay: Duration = .zero
        /// Signalled once the service has started.
        var started = OneShotEvent()

        func run() async throws {
            journal.append("\(name) started")
            started.signal()
            await GracefulShutdown.wait()
            // The delay is the behaviour under test: a service that takes a while to stop is
            // still awaited before the next one is asked.
            try? await Task.sleep(for: stopDelay)
            journal.append("\(name) stopped")
        }
    }

    final class Journal: Sendable {
        private let entries = Mutex<[String]>([])
        /// Prints each entry too, for the parent of a signalled child process to read.
        let echoes: Bool
        init(echoes: Bool = false) { self.echoes = echoes }
        func append(_ entry: String) {
            entries.withLock { $0.append(entry) }
            if echoes { FileHandle.standardOutput.write(Data("\(Self.marker)\(entry)\n".utf8)) }
        }
        var all: [String] { entries.withLock { $0 } }
        static let marker = "service-group-journal: "
    }

    /// Fails once `after` has happened.
    struct FailingService: Service {
        let name = "failing"
        let after: OneShotEvent
        func run() async throws {
            await after.wait()
            throw CocoaError(.featureUnsupported)
        }
    }

    /// Returns when `trigger` is signalled: a service returning starts the group's shutdown.
    struct ReturningService: Service {
        let name = "returning"
        let trigger: OneShotEvent
        func run() async throws { await trigger.wait() }
    }

    private var quietLogger: Logger { Logger(service: "test", level: .error, sink: LogSink { _ in }) }

    /// Set in the child process `testSignalStopsServicesInReverseOrder` starts.
    private static let childVariable = "CLIENTELE_SERVICE_GROUP_SIGNAL_CHILD"

    /// A real SIGTERM, the group's default signal, stops the services in reverse order, even
    /// one that arrives the moment the group starts them (a supervisor stopping a service as
    /// soon as it is up). The signal is raised in a child process (this test binary, running
    /// only this test, as the child) by a service of its group, never in the test process, so
    /// no other test can receive it.
    func testSignalStopsServicesInReverseOrder() async throws {
        if ProcessInfo.processInfo.environment[Self.childVariable] == "1" { return try await runSignalledGroup() }
        let logs = try ProjectPaths.scratchDirectory("service-group-signal")
        let child = try ManagedProcess(name: "signalled-child", executable: URL(fileURLWithPath: Self.testBinary),
                                       arguments: ["ServiceRuntimeTests.ServiceGroupTests/testSignalStopsServicesInReverseOrder"],
                                       environment: [Self.childVariable: "1"], logDirectory: logs)
        defer { child.stop() }
        try await eventually("the child's group stopped on its SIGTERM and the child exited:\n\(child.logTail())") { !child.isRunning }
        XCTAssertEqual(child.waitForExit(), 0, child.logTail())
        let log = (try? String(contentsOf: child.logFile, encoding: .utf8)) ?? ""
        let journal = log.split(separator: "\n").filter { $0.hasPrefix(Journal.marker) }.map { String($0.dropFirst(Journal.marker.count)) }
        // The signal may come before a service's task ran: then it starts and stops at once.
        XCTAssertEqual(journal.sorted(), ["producer started", "producer stopped", "server started", "server stopped"], child.logTail())
        let at = { (entry: String) in journal.firstIndex(of: entry) ?? -1 }
        XCTAssertLessThan(at("server stopped"), at("producer stopped"), "stopped in reverse order: \(journal)")
        XCTAssertLessThan(at("producer started"), at("producer stopped"))
        XCTAssertLessThan(at("server started"), at("server stopped"))
    }

    /// The child's side: a group of two services with the default signals, and a third that
    /// raises SIGTERM in this process the moment it starts; run to its end.
    private func runSignalledGroup() async throws {
        struct Signaller: Service {
            let name = "signaller"
            func run() async throws {
                kill(getpid(), SIGTERM)
                await GracefulShutdown.wait()
            }
        }
        let journal = Journal(echoes: true)
        let group = ServiceGroup(services: [RecordingService(name: "producer", journal: journal, stopDelay: .milliseconds(10)),
                                            RecordingService(name: "server", journal: journal, stopDelay: .milliseconds(50)),
                                            Signaller()],
                                 logger: quietLogger)
        try await group.run()
    }

    /// This test binary (`swift test` runs it; it runs the test named in its arguments).
    private static var testBinary: String { Bundle.main.executablePath ?? CommandLine.arguments[0] }

    /// When one service returns, the others are asked to stop in reverse order, each awaited
    /// before the next is asked.
    func testServicesStopInReverseOrderWhenOneReturns() async throws {
        let journal = Journal()
        let trigger = OneShotEvent()
        let producer = RecordingService(name: "producer", journal: journal, stopDelay: .milliseconds(10))
        let server = RecordingService(name: "server", journal: journal, stopDelay: .milliseconds(50))
        let group = ServiceGroup(services: [producer, server, ReturningService(trigger: trigger)], logger: quietLogger, signals: [])
        async let ran: Void = group.run()
        await producer.started.wait()
        await server.started.wait()
        trigger.signal()
        try await ran
        XCTAssertEqual(journal.all.suffix(2), ["server stopped", "producer stopped"])
    }

    func testAFailingServiceStopsTheOthersAndIsRethrown() async {
        let journal = Journal()
        let a = RecordingService(name: "a", journal: journal)
        let group = ServiceGroup(services: [a, FailingService(after: a.started)], logger: quietLogger, signals: [])
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
            let journal: Journal
            let started = OneShotEvent()
            func run() async throws {
                journal.append("stubborn started")
                started.signal()
                // Ignores the graceful signal; only cancellation ends the sleep.
                do {
                    try await Task.sleep(for: .seconds(600))
                } catch {
                    journal.append(GracefulShutdown.isRequested ? "cancelled after the stop request" : "cancelled unasked")
                    throw error
                }
            }
        }
        let journal = Journal()
        let stubborn = Stubborn(journal: journal)
        let trigger = OneShotEvent()
        let group = ServiceGroup(services: [stubborn, ReturningService(trigger: trigger)], logger: quietLogger,
                                 gracePeriod: .milliseconds(200), signals: [])
        let ran = Task { try await group.run() }
        await stubborn.started.wait()
        trigger.signal()
        // The stubborn service sleeps 600 s: the group returning at all means the grace
        // period cancelled it.
        try await eventually("the group returned") { journal.all.count == 2 }
        try await ran.value
        XCTAssertEqual(journal.all, ["stubborn started", "cancelled after the stop request"])
    }
}
