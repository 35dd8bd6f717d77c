import Errors
import Foundation
import HTTP
import InternalAPI
import Projection
import SearchReadModel
import ServiceRuntime

/// The search projection's internal routes: list, get, batch lookup, read-your-writes
/// visibility (per write, and the applied-versions feed), the rebuild's start and progress, and the live projection's position
/// (`clientctl status`).
struct SearchRoutes: Sendable {
    /// The longest a visibility request waits, whatever it asks for.
    static let maxVisibilityWait = 10_000
    /// The largest batch lookup body: `TenantClientId.maxPerLookup` entries take about 12 KiB.
    static let maxLookupBodyBytes = 32 * 1024

    let search: ClientSearch
    let waiters: AppliedVersionWaiters
    let feed: AppliedFeed
    let rebuild: ProjectionRebuild
    let live: ProjectionRunner
    /// Every route requires the internal token: only the gateway and clientctl call them.
    let token: InternalToken

    func register(on setup: ServiceSetup) {
        setup.route(.GET, InternalPaths.clients, token.guarding { request in
            let query = try ClientListParameters.query(from: request)
            return HTTPResponse.json(status: .ok, body: try await search.list(query).internalJSONBytes)
        })
        // Get and visibility run one primary-key lookup each: their tasks stay on the event loop.
        let onLoop = RouteOptions(runsOnEventLoop: true)
        setup.route(.GET, InternalPaths.clients + "/:id", options: onLoop, token.guarding { request in
            let id = try Self.clientId(request)
            let tenantId = try ClientListParameters.uuid(request, "tenantId")
            guard let record = try await search.client(id: id, tenantId: tenantId) else {
                throw ClienteleError(.notFound, "Client not found")
            }
            return HTTPResponse.json(status: .ok, body: record.internalJSONBytes)
        })
        // The gateway's coalesced single-client reads: one statement per batch, on the loop too.
        let lookupOptions = RouteOptions(maxBodyBytes: Self.maxLookupBodyBytes, runsOnEventLoop: true)
        setup.route(.POST, InternalPaths.clientLookups, options: lookupOptions, token.guarding { request in
            let lookups = try await request.decodeJSON(maxBytes: Self.maxLookupBodyBytes) { value throws(JSONFieldError) in
                try TenantClientId.lookups(fromRequest: value)
            }
            return HTTPResponse.json(status: .ok, body: TenantClientId.answerJSON(try await search.clients(lookups)))
        })
        setup.route(.GET, InternalPaths.clients + "/:id/visibility", options: onLoop, token.guarding { request in
            let id = try Self.clientId(request)
            guard let text = request.queryParameter("version"), let version = Int64(text), version >= 1 else {
                throw ClientListParameters.invalid("version", "an integer of 1 or more")
            }
            var timeoutMs = 5_000
            if let text = request.queryParameter("timeoutMs") {
                guard let value = Int(text), value >= 0 else { throw ClientListParameters.invalid("timeoutMs", "an integer of 0 or more") }
                timeoutMs = min(value, Self.maxVisibilityWait)
            }
            let search = self.search
            let held = try await waiters.wait(streamId: id, version: version, timeout: .milliseconds(timeoutMs)) {
                try await search.version(of: id)
            }
            return HTTPResponse.json(status: .ok, object: ClientVisibility(visible: (held ?? 0) >= version, version: held).internalJSON)
        })
        // The gateway's feed of applied versions: one request per commit, not per write.
        setup.route(.GET, InternalPaths.applied, options: onLoop, token.guarding { [feed] request in
            var after: UInt64?
            if let text = request.queryParameter("after") {
                guard let value = UInt64(text) else { throw ClientListParameters.invalid("after", "an integer of 0 or more") }
                after = value
            }
            var timeoutMs = 0
            if let text = request.queryParameter("timeoutMs") {
                guard let value = Int(text), value >= 0 else { throw ClientListParameters.invalid("timeoutMs", "an integer of 0 or more") }
                timeoutMs = min(value, Self.maxVisibilityWait)
            }
            let page = await feed.read(after: after, epoch: request.queryParameter("epoch"), timeout: .milliseconds(timeoutMs))
            return HTTPResponse.json(status: .ok, object: page.internalJSON)
        })
        setup.route(.POST, InternalPaths.rebuild, token.guarding { _ in
            Self.json(Self.progress(try await rebuild.start()), status: .accepted)
        })
        setup.route(.GET, InternalPaths.rebuild, token.guarding { _ in
            Self.json(Self.progress(try await rebuild.status()))
        })
        setup.route(.GET, InternalPaths.status, token.guarding { [live, service = setup.name] _ in
            Self.json(ServiceStatus(service: service, projections: [Self.status(of: live)]))
        })
    }

    /// The runner's position per partition as of its last commit or fetch.
    static func status(of runner: ProjectionRunner) -> ProjectionStatus {
        ProjectionStatus(name: runner.configuration.projection, running: runner.isRunning(),
                         partitions: runner.checkpoint.partitions.sorted { $0.key < $1.key }.map {
                             ProjectionStatus.Partition(partition: $0.key, position: $0.value.next, end: $0.value.end)
                         })
    }

    static func clientId(_ request: HTTPRequest) throws -> UUID {
        guard let text = request.pathParameters["id"], let id = UUID(canonical: text) else {
            throw ClienteleError(.notFound, "Client not found")
        }
        return id
    }

    static func progress(_ status: ProjectionRebuildStatus) -> RebuildProgress {
        RebuildProgress(state: RebuildProgress.State(rawValue: status.state.rawValue) ?? .idle,
                        eventsApplied: status.eventsApplied, eventsPerSecond: status.eventsPerSecond,
                        startedAt: status.startedAt, finishedAt: status.finishedAt,
                        partitions: status.partitions.map {
                            RebuildProgress.Partition(partition: $0.partition, position: $0.position, end: $0.end, live: $0.live)
                        })
    }

    /// A JSON response in the internal APIs' coding (`InternalJSON`).
    static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok) -> HTTPResponse {
        do {
            let body = try InternalJSON.encoder().encode(value)
            return HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(body))
        } catch {
            return HTTPResponse(error: error)
        }
    }
}
