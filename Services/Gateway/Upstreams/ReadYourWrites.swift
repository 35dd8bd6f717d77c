import Foundation
import HTTP
import InternalAPI

/// Makes a write's answer wait until the search projection shows it, so the caller's next
/// read sees what it wrote.
///
/// The wait is bounded by `timeout`; past it the 2xx is sent anyway with
/// `X-Consistency: pending`. Never fails: the write is already stored. A replayed
/// idempotent write is marked `Idempotent-Replayed: true`.
struct ReadYourWrites: Sendable {
    let search: SearchClient
    let timeout: Duration

    func settle(_ response: HTTPResponse, id: UUID, outcome: ClientCommandResponse) async -> HTTPResponse {
        var response = response
        if outcome.replayed { response.headers.replaceOrAdd(name: "Idempotent-Replayed", value: "true") }
        let visible = await search.waitUntilVisible(id, version: outcome.version, timeout: timeout)
        if !visible { response.headers.replaceOrAdd(name: "X-Consistency", value: "pending") }
        return response
    }
}
