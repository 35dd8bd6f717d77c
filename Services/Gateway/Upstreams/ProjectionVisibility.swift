import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// Read-your-writes against one projection service (search or stats): waits until the
/// projection shows a write, on its applied-versions feed when that is followed, else by
/// asking the projection per write (`InternalPaths.visibility`).
///
/// A write the projection parked (its stream waits in the projection's quarantine) ends the
/// wait at once, unseen: it shows only once an operator retries it.
struct ProjectionVisibility: Sendable {
    /// The service's name, for logs (`search-projection`).
    let service: String
    let baseURL: String
    let token: InternalToken
    /// A client whose request timeout is just above the visibility wait, so a stuck
    /// projection cannot hold a write's answer longer than the bound.
    let http: HTTPClient
    /// The applied-versions feed, when followed: writes wait on it rather than asking one by one.
    let feed: AppliedFeedFollower?

    /// Waits up to `timeout` for the projection to show client `id` at `version` or later.
    /// False when it did not in time, parked it, or could not be asked: never an error, since
    /// the write it follows is already stored.
    func waitUntilVisible(_ id: UUID, version: Int64, timeout: Duration) async -> Bool {
        guard let feed else { return await ask(id, version: version, timeout: timeout)?.isVisible(version) ?? false }
        return await feed.waitUntilVisible(id, version: version, timeout: timeout) { [self] remaining in
            await ask(id, version: version, timeout: remaining)
        }
    }

    /// Asks the projection to answer once client `id` is at `version` or later (or parked
    /// there), or after `timeout`; what it holds then (nil: it could not be asked).
    func ask(_ id: UUID, version: Int64, timeout: Duration) async -> StreamVisibility? {
        let path = InternalPaths.visibility(id) + "?version=\(version)&timeoutMs=\(max(0, timeout.inMilliseconds))"
        var headers: HTTPHeaders = [InternalToken.headerName: token.value]
        headers.addRequestContext()
        guard let response = try? await http.execute(HTTPClientRequest(method: .GET, url: baseURL + path, headers: headers)),
              response.status.code == 200, let value = try? JSONParser.parse(response.body),
              let visibility = try? ClientVisibility(internalJSON: value) else {
            return nil
        }
        return StreamVisibility(applied: visibility.version, parked: visibility.parked ? version : nil)
    }
}
