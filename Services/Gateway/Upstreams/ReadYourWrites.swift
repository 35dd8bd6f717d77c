import Foundation
import HTTP
import InternalAPI

/// Makes a write's answer wait until the projections its API reads show it, so the caller's
/// next read sees what it wrote.
///
/// The wait is bounded by `timeout` for the whole answer, however many writes and
/// projections it covers (a bulk request waits for all its items at once); past it the 2xx
/// is sent anyway with `X-Consistency: pending`. A write a projection parked is pending at
/// once. Never fails: the writes are already stored. A replayed idempotent write is marked
/// `Idempotent-Replayed: true`.
struct ReadYourWrites: Sendable {
    /// The projections the API's reads come from (search; for the admin API the stats too).
    let projections: [ProjectionVisibility]
    let timeout: Duration

    func settle(_ response: HTTPResponse, id: UUID, outcome: ClientCommandResponse) async -> HTTPResponse {
        var response = response
        if outcome.replayed { response.headers.replaceOrAdd(name: "Idempotent-Replayed", value: "true") }
        return await settle(response, writes: [(id, outcome.version)])
    }

    /// Waits for every write in `writes` (client id and version) in every projection, in
    /// parallel, all within one `timeout`.
    func settle(_ response: HTTPResponse, writes: [(id: UUID, version: Int64)]) async -> HTTPResponse {
        guard !writes.isEmpty else { return response }
        let timeout = self.timeout
        let visible = await withTaskGroup(of: Bool.self) { group in
            for projection in projections {
                for write in writes {
                    group.addTask { await projection.waitUntilVisible(write.id, version: write.version, timeout: timeout) }
                }
            }
            return await group.allSatisfy { $0 }
        }
        var response = response
        if !visible { response.headers.replaceOrAdd(name: "X-Consistency", value: "pending") }
        return response
    }
}
