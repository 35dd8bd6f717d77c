import Coordination
import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs a process's services in one task group and shuts them down in order.
///
/// Services start in the order given. On SIGTERM or SIGINT, or when any service returns or
/// throws, shutdown begins: services are asked to stop gracefully in reverse order (the HTTP
/// server, usually last, stops accepting first; producers it feeds stop after it), each one
/// awaited before the next is asked. When `gracePeriod` passes first, the remaining tasks
/// are cancelled. `run()` rethrows the first error a service threw before shutdown began.
public struct ServiceGroup: Sendable {
    public var services: [any Service]
    public var logger: Logger
    public var gracePeriod: Duration
    public var signals: [Int32]

    public init(services: [any Service], logger: Logger, gracePeriod: Duration = .seconds(20),
                signals: [Int32] = [SIGTERM, SIGINT]) {
        self.services = services
        self.logger = logger
        self.gracePeriod = gracePeriod
        self.signals = signals
    }

    public func run() async throws {
        let shutdownRequested = OneShotEvent()
        let stopSignals = services.map { _ in OneShotEvent() }
        let finished = services.map { _ in OneShotEvent() }
        let failure = FirstError()
        let signalSources = await installSignalHandlers(logger: logger, onSignal: { shutdownRequested.signal() })
        defer { signalSources.forEach { $0.cancel() } }

        await withTaskGroup(of: Void.self) { group in
            for (index, service) in services.enumerated() {
                group.addTask {
                    await GracefulShutdown.$current.withValue(stopSignals[index]) {
                        do {
                            try await service.run()
                            if !shutdownRequested.isSignaled {
                                logger.warning("service returned before shutdown", ["service_name": service.name])
                            }
                        } catch {
                            if !shutdownRequested.isSignaled && !(error is CancellationError) {
                                logger.error("service failed", ["service_name": service.name, "error": String(describing: error)])
                                failure.record(error)
                            }
                        }
                    }
                    finished[index].signal()
                    shutdownRequested.signal()
                }
            }

            // Wait for the first reason to stop, then stop services in reverse order.
            await shutdownRequested.wait()
            logger.info("shutting down")
            let graceExpired = OneShotEvent()
            group.addTask {
                try? await Task.sleep(for: gracePeriod)
                graceExpired.signal()
            }
            for index in services.indices.reversed() {
                stopSignals[index].signal()
                let finishedOrExpired = OneShotEvent()
                finished[index].onSignal { finishedOrExpired.signal() }
                graceExpired.onSignal { finishedOrExpired.signal() }
                await finishedOrExpired.wait()
                if graceExpired.isSignaled {
                    logger.warning("grace period over; cancelling remaining services",
                                   ["service_name": services[index].name])
                    break
                }
            }
            group.cancelAll()
        }
        if let error = failure.error { throw error }
        logger.info("stopped")
    }

    /// Routes `signals` to `onSignal` and returns once every one is routed: libdispatch
    /// installs a source asynchronously after `resume()`, and a signal arriving before that
    /// (already ignored, so the default action cannot kill the process) would be lost. So the
    /// services start, and a service's "listening" is logged, only once a stop signal is heard.
    private func installSignalHandlers(logger: Logger, onSignal: @escaping @Sendable () -> Void) async -> [any DispatchSourceSignal] {
        let installed = signals.map { number in
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            let registered = OneShotEvent()
            source.setRegistrationHandler { registered.signal() }
            source.setEventHandler {
                logger.info("signal received", ["signal": String(number)])
                onSignal()
            }
            source.resume()
            return (source, registered)
        }
        for (_, registered) in installed { await registered.wait() }
        return installed.map(\.0)
    }
}

/// Keeps the first error recorded.
private final class FirstError: Sendable {
    private let stored = Mutex<(any Error)?>(nil)
    func record(_ error: any Error) { stored.withLock { if $0 == nil { $0 = error } } }
    var error: (any Error)? { stored.withLock { $0 } }
}
