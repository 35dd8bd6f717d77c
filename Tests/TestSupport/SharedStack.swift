import Foundation
import Synchronization

/// One `ClienteleStack` shared by the tests of a class, started on first use.
///
/// A failed start is kept too, so every test of the class reports it instead of starting
/// the stack again. The stack lives until the test process ends (its processes die with it).
public final class SharedStack: Sendable {
    private let start: @Sendable () async throws -> ClienteleStack
    private let result = Mutex<Result<ClienteleStack, any Error>?>(nil)

    /// A stack `ClienteleStack.start(name, gatewayEnvironment:)` starts.
    public convenience init(_ name: String, gatewayEnvironment: [String: String] = [:]) {
        self.init { try await ClienteleStack.start(name, gatewayEnvironment: gatewayEnvironment) }
    }

    /// A stack `start` starts (for other `ClienteleStack.start` options).
    public init(start: @escaping @Sendable () async throws -> ClienteleStack) {
        self.start = start
    }

    public func stack() async throws -> ClienteleStack {
        if let result = result.withLock({ $0 }) { return try result.get() }
        let started: Result<ClienteleStack, any Error>
        do {
            started = .success(try await start())
        } catch {
            started = .failure(error)
        }
        return try result.withLock { result in
            if result == nil { result = started } else if case .success(let extra) = started { extra.stop() }
            return try result!.get()
        }
    }
}
